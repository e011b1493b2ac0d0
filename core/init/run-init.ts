// `tcpvs init`: the one interactive command. On a terminal it asks (with @clack/prompts, loaded only
// here); otherwise it takes the same answers from flags and refuses to guess. Exit: 0 written,
// 1 cancelled or not written, 2 usage or answers serve would refuse.

import { networkInterfaces } from "node:os";
import {
  answersFromFlags,
  check,
  INIT_USAGE,
  type InitAnswers,
  InitError,
  type InitFlags,
  parseServer,
  type Role,
  splitList,
} from "./init-answers.ts";
import { writeConfigs } from "./write-configs.ts";

export async function runInit(flags: InitFlags): Promise<number> {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  try {
    const answers = interactive ? await ask(flags) : answersFromFlags(flags);
    if (!answers) return 1;
    const missing = interfaceMissing(answers.interface);
    if (missing) process.stderr.write(`tcpvs init: warning: ${missing}\n`);
    const files = await writeConfigs(answers);
    process.stdout.write(
      `wrote ${files.self} (${answers.role})\nwrote ${files.peer} (peer)\n\n${nextSteps(files)}`,
    );
    return 0;
  } catch (e) {
    if (!interactive && e instanceof InitError && e.code === "usage" && e.message.includes("(missing)")) {
      process.stderr.write("tcpvs init: no terminal to ask on, so every answer must come as a flag\n");
    }
    return fail(e);
  }
}

function fail(e: unknown): number {
  if (e instanceof InitError) {
    process.stderr.write(`tcpvs init: ${e.message}\n`);
    if (e.code === "usage") {
      process.stderr.write(`${INIT_USAGE}\n`);
      return 2;
    }
    return e.code === "config_invalid" ? 2 : 1;
  }
  throw e;
}

/** Why the interface is not on this machine, or undefined when it is. */
export function interfaceMissing(name: string, have = Object.keys(networkInterfaces())): string | undefined {
  if (have.includes(name)) return undefined;
  return `interface "${name}" does not exist on this machine (it has ${have.join(", ") || "none"}); fine if the files are for other machines, else VRRP will not start`;
}

/** What to do with the two files, in order. */
export function nextSteps(files: { self: string; peer: string }): string {
  return `Next steps:
  1. tcpvs config check -c ${files.self}        (and the same for ${files.peer})
  2. on this node: install -m 0644 ${files.self} /etc/tcpvs/tcpvs.toml
     on the peer:  install -m 0644 ${files.peer} /etc/tcpvs/tcpvs.toml
  3. on each node: cp tcpvs.service /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now tcpvs
  4. tcpvs status     (docs/operations.md: install, upgrade, failover drills)
`;
}

/** The first interface with a non-internal IPv4 address: a sensible default. */
function guessInterface(): string | undefined {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (addrs?.some((a) => a.family === "IPv4" && !a.internal)) return name;
  }
  return undefined;
}

const orDefault = (fn: (v: string) => string | undefined) => (v: string | undefined) =>
  v ? fn(v) : undefined;

async function ask(f: InitFlags): Promise<InitAnswers | undefined> {
  const p = await import("@clack/prompts");
  const { existsSync } = await import("node:fs");
  const stop = (v: unknown): v is symbol => {
    if (p.isCancel(v)) {
      p.cancel("Nothing written.");
      return true;
    }
    return false;
  };
  p.intro("tcpvs init: a two-node appliance (both nodes balance across both, one holds the VIP)");

  const role =
    f.role ??
    (await p.select<Role>({
      message: "Role of this node",
      options: [
        { value: "master", label: "director master", hint: "owns the VIP while healthy" },
        { value: "backup", label: "director backup", hint: "takes the VIP when the master fails" },
      ],
    }));
  if (stop(role)) return undefined;

  const vip =
    f.vip ??
    (await p.text({
      message: "Virtual IP with prefix",
      placeholder: "10.0.0.100/24",
      validate: (v) => check.vip(v ?? ""),
    }));
  if (stop(vip)) return undefined;

  const ifDefault = guessInterface() ?? "eth0";
  const iface =
    f.interface ??
    (await p.text({
      message: "Interface for the VIP and VRRP",
      defaultValue: ifDefault,
      placeholder: ifDefault,
      validate: orDefault(check.iface),
    }));
  if (stop(iface)) return undefined;

  const vrid =
    f.vrid ??
    (await p.text({
      message: "Virtual router id (1-255, the same on both nodes)",
      defaultValue: "51",
      placeholder: "51",
      validate: orDefault(check.vrid),
    }));
  if (stop(vrid)) return undefined;

  let backends = f.backends;
  if (backends.length === 0) {
    const b = await p.text({
      message: "Backends: this node's app and the peer's (address:port, comma-separated)",
      placeholder: "10.0.0.1:8080, 10.0.0.2:8080",
      validate: (v) => check.backends(v ?? ""),
    });
    if (stop(b)) return undefined;
    // Names asked one by one below, for the backends not already given one with "=NAME".
    backends = splitList(b);
    const named: string[] = [];
    for (const s of backends.map(parseServer)) {
      if (s.name !== undefined) {
        named.push(`${s.address}=${s.name}`);
        continue;
      }
      const taken = named.map((x) => parseServer(x).name);
      const name = await p.text({
        message: `Name of server ${s.address} (as tcpvs status shows it; empty: its address)`,
        placeholder: s.address,
        validate: (v) =>
          !v
            ? undefined
            : (check.name(v, s.address) ??
              (taken.includes(v.trim()) ? `Give ${s.address} a name no other server has` : undefined)),
      });
      if (stop(name)) return undefined;
      named.push(name ? `${s.address}=${name.trim()}` : s.address);
    }
    backends = named;
  }

  let chk = f.check;
  if (chk === undefined) {
    const kind = await p.select<"http" | "tcp">({
      message: "Health check",
      options: [
        { value: "http", label: "HTTP GET", hint: "mode http" },
        { value: "tcp", label: "TCP connect", hint: "mode tcp" },
      ],
    });
    if (stop(kind)) return undefined;
    if (kind === "http") {
      const path = await p.text({
        message: "Health check path",
        defaultValue: "/health",
        placeholder: "/health",
        validate: orDefault(check.path),
      });
      if (stop(path)) return undefined;
      chk = `http:${path}`;
    } else chk = "tcp";
  }

  const listen =
    f.listen ??
    (await p.text({
      message: "Listen address of the virtual server",
      defaultValue: "0.0.0.0:80",
      placeholder: "0.0.0.0:80",
      validate: orDefault(check.listen),
    }));
  if (stop(listen)) return undefined;

  let unicastSrcIp = f.unicastSrcIp;
  let unicastPeer = f.unicastPeer;
  if (unicastSrcIp === undefined && unicastPeer === undefined) {
    const how = await p.select<"multicast" | "unicast">({
      message: "VRRP adverts",
      options: [
        { value: "multicast", label: "multicast", hint: "224.0.0.18, keepalived's default" },
        { value: "unicast", label: "unicast", hint: "where multicast is filtered (clouds, some switches)" },
      ],
    });
    if (stop(how)) return undefined;
    if (how === "unicast") {
      const self = await p.text({
        message: "This node's address for VRRP (unicast_src_ip)",
        validate: (v) => check.unicast(v ?? "", vip, "address of this node"),
      });
      if (stop(self)) return undefined;
      const peer = await p.text({
        message: "The peer node's address (unicast_peer)",
        validate: (v) =>
          check.unicast(v ?? "", vip, "address of the peer") ??
          (v?.trim() === self.trim() ? "Give the peer's address, not this node's" : undefined),
      });
      if (stop(peer)) return undefined;
      unicastSrcIp = self;
      unicastPeer = peer;
    }
  }

  const out =
    f.out ??
    (await p.text({
      message: "Write this node's config to",
      defaultValue: "tcpvs.toml",
      placeholder: "tcpvs.toml",
    }));
  if (stop(out)) return undefined;
  const peerOut =
    f.peerOut ??
    (await p.text({
      message: "Write the peer's config to",
      defaultValue: "tcpvs-peer.toml",
      placeholder: "tcpvs-peer.toml",
    }));
  if (stop(peerOut)) return undefined;

  let force = f.force;
  if (!force && (existsSync(out) || existsSync(peerOut))) {
    const ok = await p.confirm({
      message: `Overwrite existing ${existsSync(out) ? out : peerOut}?`,
      initialValue: false,
    });
    if (stop(ok)) return undefined;
    if (!ok) {
      p.cancel("Nothing written.");
      return undefined;
    }
    force = true;
  }
  const answers = answersFromFlags({
    role,
    vip,
    interface: iface,
    vrid,
    backends,
    check: chk,
    listen,
    unicastSrcIp,
    unicastPeer,
    out,
    peerOut,
    force,
  });
  p.outro(
    `Writing ${out} (${answers.role}) and ${peerOut} (${answers.role === "master" ? "backup" : "master"})`,
  );
  return answers;
}
