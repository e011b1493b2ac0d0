// Every registered check type runs the shared suite (conformance.case.ts) against real peers on loopback:
// up, down, timeout and refused, each with its reason. A type without traits here fails the first test.
// icmp needs root (a raw socket; its silent peer is a veth end in a namespace this file creates).

import { missingTools } from "../tools.ts";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import tls from "node:tls";
import { checkTypeNames } from "../../core/check/registry.ts";
import type { CheckType } from "../../core/config/types.ts";
import { type Peer, runCheckConformance, TIMEOUT_MS, type Traits } from "./conformance.case.ts";
import { closedTcpPort, closedUdpPort, inet, isRoot, tcpServer } from "./net-helpers.ts";

/** A TCP peer; `reply(all)` answers the input so far (undefined: wait for more, "" : say nothing). */
function tcpPeer(opts: { banner?: string; reply?: (all: string) => string | undefined } = {}): Promise<Peer> {
  const l = tcpServer(
    (s) => {
      if (opts.banner) s.write(opts.banner);
    },
    (s, all) => {
      const r = opts.reply?.(all);
      if (r === undefined) return;
      s.data.buf = "";
      if (r) s.write(r);
    },
  );
  return Promise.resolve({ target: inet(l.port), stop: () => l.stop(true) });
}

const closedTcp = async (): Promise<Peer> => ({ target: inet(closedTcpPort()), stop() {} });
const closedUdp = async (): Promise<Peer> => ({ target: inet(await closedUdpPort()), stop() {} });

/** A listener that never accepts, its one-slot queue filled: the kernel drops our SYN, so connect hangs. */
async function unacceptingTcp(): Promise<Peer | string> {
  if (!existsSync("/usr/bin/python3")) return "python3 is not installed (apt-get install python3)";
  const py =
    'import socket,sys\ns=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0)\nprint(s.getsockname()[1], flush=True)\nsys.stdin.read()';
  const proc = Bun.spawn(["/usr/bin/python3", "-c", py], { stdin: "pipe", stdout: "pipe" });
  const { value } = await proc.stdout.getReader().read();
  const port = Number(new TextDecoder().decode(value).trim());
  const filler = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  return {
    target: inet(port),
    stop() {
      filler.end();
      proc.kill();
    },
  };
}

async function udpPeer(answer: (d: Uint8Array) => Uint8Array | string | undefined): Promise<Peer> {
  const s = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(sock, d, port, addr) {
        const r = answer(new Uint8Array(d));
        if (r !== undefined) sock.send(typeof r === "string" ? Buffer.from(r) : r, port, addr);
      },
    },
  });
  return { target: inet(s.port), stop: () => s.close() };
}

/** The query back with QR set and `rcode`, no answers: enough for a DNS check to judge. */
function dnsReply(rcode: number) {
  return (q: Uint8Array) => {
    const r = new Uint8Array(q);
    r[2] = (r[2]! | 0x80) & 0xfe;
    r[3] = rcode;
    return r;
  };
}

let certs: { cert: string; key: string } | undefined;
async function tlsPeer(reply: string | undefined): Promise<Peer | string> {
  if (!certs) {
    const missing = missingTools("the https conformance cases", "openssl");
    if (missing) return missing;
    const dir = `/tmp/tcpvs-conf-tls-${process.pid}`;
    const p = Bun.spawn(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=app.test",
      ].concat(["-keyout", `${dir}.key`, "-out", `${dir}.crt`]),
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    if ((await p.exited) !== 0) return "openssl is not installed";
    certs = { cert: await Bun.file(`${dir}.crt`).text(), key: await Bun.file(`${dir}.key`).text() };
    await Bun.$`rm -f ${dir}.crt ${dir}.key`.quiet();
  }
  const srv = tls.createServer(certs, (sock) => {
    sock.on("data", () => {
      if (reply !== undefined) sock.end(reply);
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as { port: number }).port;
  return { target: inet(port), check: { tls_verify: false }, stop: () => void srv.close() };
}

const http = (status: string) => (all: string) =>
  all.includes("\r\n\r\n")
    ? `HTTP/1.1 ${status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok`
    : undefined;

// A namespace behind a veth pair whose end ignores echo requests: the silent peer of an icmp check.
const tag = process.pid % 100000;
const ns = `tcpvs-conf-${tag}`;
const veth = `tvf${tag}`;
const net = `10.232.${process.pid % 250}`;
let nsReady = false;

async function sh(cmd: string[]): Promise<boolean> {
  const p = Bun.spawn(cmd, { stdio: ["ignore", "ignore", "pipe"] });
  return (await p.exited) === 0;
}

beforeAll(async () => {
  if (!isRoot) return;
  const steps = [
    ["ip", "netns", "add", ns],
    ["ip", "link", "add", `${veth}a`, "type", "veth", "peer", "name", `${veth}b`],
    ["ip", "link", "set", `${veth}b`, "netns", ns],
    ["ip", "addr", "add", `${net}.1/24`, "dev", `${veth}a`],
    ["ip", "link", "set", `${veth}a`, "up"],
    ["ip", "-n", ns, "addr", "add", `${net}.2/24`, "dev", `${veth}b`],
    ["ip", "-n", ns, "link", "set", `${veth}b`, "up"],
    ["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"],
  ];
  for (const s of steps) if (!(await sh(s))) return;
  nsReady = true;
});

afterAll(async () => {
  if (!isRoot) return;
  await sh(["ip", "link", "del", `${veth}a`]);
  await sh(["ip", "netns", "del", ns]);
});

const TIMED_OUT = new RegExp(`^timed out after ${TIMEOUT_MS} ms$`);
const NO_REPLY = new RegExp(`^no reply within ${TIMEOUT_MS} ms$`);

const TRAITS: Record<CheckType, Traits> = {
  tcp: {
    up: { peer: () => tcpPeer(), reason: /^connected$/ },
    down: {
      notMeaningful: "it only connects: a server that accepts is up, one that does not is refused or silent",
    },
    timeout: { peer: unacceptingTcp, reason: TIMED_OUT },
    refused: { peer: closedTcp, reason: /^refused$/ },
  },
  http: {
    up: { peer: () => tcpPeer({ reply: http("200 OK") }), reason: /^status 200$/ },
    down: { peer: () => tcpPeer({ reply: http("503 Unavailable") }), reason: /^status 503$/ },
    timeout: { peer: () => tcpPeer(), reason: TIMED_OUT },
    refused: { peer: closedTcp, reason: /^refused$/ },
  },
  https: {
    up: { peer: () => tlsPeer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), reason: /^status 200$/ },
    down: { peer: () => tlsPeer("HTTP/1.1 503 No\r\nContent-Length: 0\r\n\r\n"), reason: /^status 503$/ },
    timeout: { peer: () => tlsPeer(undefined), reason: TIMED_OUT },
    refused: { peer: closedTcp, reason: /^refused$/ },
  },
  smtp: {
    up: {
      peer: () =>
        tcpPeer({
          banner: "220 mx.test ESMTP\r\n",
          reply: (all) =>
            all.endsWith("\n") ? (all.startsWith("QUIT") ? "221 bye\r\n" : "250 mx.test\r\n") : undefined,
        }),
      reason: /^banner 220, HELO 250$/,
    },
    down: { peer: () => tcpPeer({ banner: "554 no service\r\n" }), reason: /^banner "554 no service"$/ },
    timeout: { peer: () => tcpPeer(), reason: TIMED_OUT },
    refused: { peer: closedTcp, reason: /^refused$/ },
  },
  dns: {
    up: { peer: () => udpPeer(dnsReply(0)), reason: /^NOERROR, 0 answer\(s\)$/ },
    down: { peer: () => udpPeer(dnsReply(2)), reason: /^SERVFAIL$/ },
    timeout: { peer: () => udpPeer(() => undefined), reason: NO_REPLY },
    refused: { peer: closedUdp, reason: /^refused$/ },
  },
  udp: {
    up: {
      peer: async () => ({ ...(await udpPeer(() => "pong")), check: { send: "ping", expect: "^pong$" } }),
      reason: /^reply of 4 bytes$/,
    },
    down: {
      peer: async () => ({ ...(await udpPeer(() => "nope")), check: { send: "ping", expect: "^pong$" } }),
      reason: /^reply "nope" does not match \/\^pong\$\/$/,
    },
    timeout: {
      peer: async () => ({ ...(await udpPeer(() => undefined)), check: { send: "ping" } }),
      reason: NO_REPLY,
    },
    refused: { peer: async () => ({ ...(await closedUdp()), check: { send: "ping" } }), reason: /^refused$/ },
  },
  expect: {
    up: {
      peer: async () => ({
        ...(await tcpPeer({ reply: (all) => (all.endsWith("\n") ? "+PONG\r\n" : undefined) })),
        check: { steps: [{ send: "PING\r\n", expect: "^\\+PONG" }] },
      }),
      reason: /^1 step\(s\) passed$/,
    },
    down: {
      peer: async () => ({
        ...(await tcpPeer({ reply: (all) => (all.endsWith("\n") ? "-ERR no\r\n" : undefined) })),
        check: { steps: [{ send: "PING\r\n", expect: "^\\+PONG" }] },
      }),
      reason: /^step 1: timed out after 300 ms waiting for \/\^\\\+PONG\/, got "-ERR no\\r\\n"$/,
    },
    timeout: {
      peer: async () => ({ ...(await tcpPeer()), check: { steps: [{ send: "PING\r\n", expect: "PONG" }] } }),
      reason: /^step 1: timed out after 300 ms waiting for \/PONG\/, got ""$/,
    },
    refused: {
      peer: async () => ({ ...(await closedTcp()), check: { steps: [{ expect: "x" }] } }),
      reason: /^refused$/,
    },
  },
  script: {
    up: {
      peer: async () => ({ target: inet(1), check: { script: "exit 0" }, stop() {} }),
      reason: /^exit 0$/,
    },
    down: {
      peer: async () => ({ target: inet(1), check: { script: "exit 1" }, stop() {} }),
      reason: /^exit 1$/,
    },
    timeout: {
      peer: async () => ({ target: inet(1), check: { script: "sleep 5" }, stop() {} }),
      reason: TIMED_OUT,
    },
    refused: {
      notMeaningful:
        "the script probes $TCPVS_HOST:$TCPVS_PORT itself; only its exit code (down: exit 1) reaches the checker",
    },
  },
  icmp: {
    up: {
      peer: async () => (isRoot ? { target: inet(0), stop() {} } : "needs root for a raw ICMP socket"),
      reason: /^echo reply$/,
    },
    down: { notMeaningful: "an echo is answered or not: silence is the only failure (see timeout)" },
    timeout: {
      peer: async () =>
        !isRoot
          ? "needs root"
          : !nsReady
            ? "the namespace could not be set up"
            : { target: inet(0, `${net}.2`), stop() {} },
      reason: NO_REPLY,
    },
    refused: { notMeaningful: "ICMP has no ports: nothing refuses an echo; a missing host is silence" },
  },
};

test("every registered check type has conformance traits", () => {
  expect(checkTypeNames.filter((n) => !(n in TRAITS))).toEqual([]);
});

for (const name of checkTypeNames) if (TRAITS[name]) runCheckConformance(name, TRAITS[name]);
