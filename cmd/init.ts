// `tcpvs init`: the one interactive command. On a terminal it asks (with @clack/prompts, loaded only
// here); otherwise it takes the same answers from flags and refuses to guess. Exit: 0 written,
// 1 cancelled or not written, 2 usage.

import { networkInterfaces } from "node:os";
import { type FlagSpec, toArgv } from "../core/cli/flags.ts";
import type { Command } from "./command.ts";
import {
  answersFromFlags,
  check,
  INIT_USAGE,
  type InitAnswers,
  InitError,
  type InitFlags,
  parseInitFlags,
  type Role,
  splitList,
} from "../core/init/InitAnswers.ts";
import { writeConfigs } from "../core/init/writeConfigs.ts";

export async function runInit(argv: string[]): Promise<number> {
  let flags: InitFlags;
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${INIT_USAGE}\n`);
    return 0;
  }
  try {
    flags = parseInitFlags(argv);
  } catch (e) {
    return fail(e);
  }
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  try {
    const answers = interactive ? await ask(flags) : answersFromFlags(flags);
    if (!answers) return 1;
    const files = await writeConfigs(answers);
    process.stdout.write(`wrote ${files.self} (${answers.role})\nwrote ${files.peer} (peer)\n`);
    return 0;
  } catch (e) {
    if (!interactive && e instanceof InitError && e.code === "usage") {
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
    return 1;
  }
  throw e;
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
      message: "Backends: this node's app and the peer's (host:port, comma-separated)",
      placeholder: "10.0.0.1:8080, 10.0.0.2:8080",
      validate: (v) => check.backends(v ?? ""),
    });
    if (stop(b)) return undefined;
    backends = splitList(b);
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
    listen: f.listen,
    out,
    peerOut,
    force,
  });
  p.outro(
    `Writing ${out} (${answers.role}) and ${peerOut} (${answers.role === "master" ? "backup" : "master"})`,
  );
  return answers;
}

const INIT_FLAGS: FlagSpec[] = [
  { name: "role", type: "string", arg: "ROLE", desc: "master (owns the VIP) or backup" },
  { name: "vip", type: "string", arg: "CIDR", desc: "the virtual IP, e.g. 10.0.0.100/24" },
  { name: "interface", type: "string", arg: "IFACE", desc: "interface for VRRP and the VIP" },
  { name: "vrid", type: "string", arg: "N", desc: "virtual router id 1-255" },
  { name: "backend", type: "list", arg: "ADDR", desc: "an application server (repeat, or comma-separate)" },
  { name: "check", type: "string", arg: "CHECK", desc: 'health check: "tcp" or "http:/path"' },
  { name: "listen", type: "string", arg: "ADDR", desc: "listener (default 0.0.0.0:80)" },
  { name: "out", type: "string", arg: "PATH", desc: "this node's config file" },
  { name: "peer-out", type: "string", arg: "PATH", desc: "the peer node's config file" },
  { name: "force", type: "bool", desc: "overwrite existing files" },
];

export const command: Command = {
  spec: {
    name: "init",
    summary: "write a config for this node and its peer (asks on a terminal, else takes flags)",
    usage:
      "tcpvs init [--role master|backup --vip CIDR --interface IFACE --vrid N --backend ADDR ... --check CHECK --out PATH --peer-out PATH]",
    flags: INIT_FLAGS,
    example:
      "tcpvs init --role master --vip 10.0.0.100/24 --interface eth0 --vrid 51 --backend 10.0.0.11:8080 --backend 10.0.0.12:8080 --check http:/health --out node-a.toml --peer-out node-b.toml",
  },
  run: ({ flags }) => runInit(toArgv(flags, INIT_FLAGS)),
};
