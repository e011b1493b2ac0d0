// icmp (and a TCP connect timeout) against a network namespace this test creates and removes: a veth
// pair, the peer end inside the namespace. Needs root.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runOneCheck } from "../../core/check/registry.ts";
import { echoRequest, inetChecksum, isEchoReply } from "../../core/check/icmp.ts";
import { checkDefaults } from "../../core/check/types.ts";
import { inet, isRoot } from "./net-helpers.ts";

const tag = process.pid % 100000;
const ns = `tcpvs-chk-${tag}`;
const vethHost = `tvc${tag}a`;
const vethNs = `tvc${tag}b`;
const net = `10.231.${process.pid % 250}`;
let ready = false;

async function sh(cmd: string[]): Promise<boolean> {
  const p = Bun.spawn(cmd, { stdio: ["ignore", "ignore", "pipe"] });
  const code = await p.exited;
  if (code !== 0) console.log(`${cmd.join(" ")}: ${await new Response(p.stderr).text()}`);
  return code === 0;
}

beforeAll(async () => {
  if (!isRoot) return;
  const steps = [
    ["ip", "netns", "add", ns],
    ["ip", "link", "add", vethHost, "type", "veth", "peer", "name", vethNs],
    ["ip", "link", "set", vethNs, "netns", ns],
    ["ip", "addr", "add", `${net}.1/24`, "dev", vethHost],
    ["ip", "link", "set", vethHost, "up"],
    ["ip", "-n", ns, "addr", "add", `${net}.2/24`, "dev", vethNs],
    ["ip", "-n", ns, "link", "set", vethNs, "up"],
    ["ip", "-n", ns, "link", "set", "lo", "up"],
  ];
  for (const s of steps) if (!(await sh(s))) return;
  ready = true;
});

afterAll(async () => {
  if (!isRoot) return;
  await sh(["ip", "link", "del", vethHost]);
  await sh(["ip", "netns", "del", ns]);
});

describe("icmp packets", () => {
  test("an echo request carries a valid checksum and a reply matches by id and sequence", () => {
    const req = echoRequest(0x1234, 7, new TextEncoder().encode("abc"));
    expect(inetChecksum(req)).toBe(0);
    const ipReply = new Uint8Array(20 + req.length);
    ipReply[0] = 0x45;
    ipReply.set(req, 20);
    ipReply[20] = 0;
    expect(isEchoReply(ipReply, 0x1234, 7)).toBe(true);
    expect(isEchoReply(ipReply, 0x1234, 8)).toBe(false);
  });
});

describe("icmp check in a network namespace", () => {
  test("the peer answers an echo request", async () => {
    if (!ready) return console.log(isRoot ? "skip: namespace setup failed" : "skip icmp: not root");
    const r = await runOneCheck(checkDefaults({ type: "icmp" }), inet(0, `${net}.2`));
    expect(r).toMatchObject({ ok: true, reason: "echo reply" });
  });

  test("an absent address gives no reply", async () => {
    if (!ready) return console.log(isRoot ? "skip: namespace setup failed" : "skip icmp: not root");
    const r = await runOneCheck(checkDefaults({ type: "icmp", timeout: 300 }), inet(0, `${net}.3`));
    expect(r).toMatchObject({ ok: false, reason: "no reply within 300 ms" });
  });

  test("a tcp connect to an absent address times out", async () => {
    if (!ready) return console.log(isRoot ? "skip: namespace setup failed" : "skip: not root");
    const r = await runOneCheck(checkDefaults({ type: "tcp", timeout: 300 }), inet(80, `${net}.3`));
    expect(r).toMatchObject({ ok: false, reason: "timed out after 300 ms" });
  });

  test("without CAP_NET_RAW the check says what to do", async () => {
    if (!isRoot) return console.log("skip: not root");
    const code = `import { runOneCheck } from "${import.meta.dir}/../../core/check/registry.ts";
      import { checkDefaults } from "${import.meta.dir}/../../core/check/types.ts";
      const r = await runOneCheck(checkDefaults({ type: "icmp" }), { kind: "inet", host: "127.0.0.1", port: 0, family: 4, text: "127.0.0.1" });
      process.stdout.write(JSON.stringify(r));`;
    const p = Bun.spawn(
      ["setpriv", "--inh-caps=-all", "--bounding-set=-net_raw", process.execPath, "-e", code],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const out = await new Response(p.stdout).text();
    if ((await p.exited) !== 0)
      return console.log(`skip: setpriv failed: ${await new Response(p.stderr).text()}`);
    const r = JSON.parse(out);
    expect(r.ok).toBe(false);
    expect(r.reason).toContain("CAP_NET_RAW");
  });
});
