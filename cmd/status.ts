// `tcpvs status`: read the daemon's state, watch it, or steer it, over the control channel.
// Exit codes (docs/control.md): 0 ok / condition true, 1 condition false or action refused,
// 2 usage error, 3 daemon unreachable or refused us (no socket, permission, bad token).

import { existsSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { type FlagSpec, str, toArgv } from "../core/cli/flags.ts";
import { DEFAULT_CONFIG_PATHS, loadConfig } from "../core/config/load.ts";
import type { Command } from "./command.ts";
import { ControlClient } from "../core/control/ControlClient.ts";
import { ControlError } from "../core/control/ControlError.ts";
import type { StatusSnapshot } from "../core/control/snapshot.ts";
import { formatEvent, formatStatus, serverState } from "../core/control/statusTable.ts";
import { readTokenFile } from "../core/control/token.ts";

export const EXIT_OK = 0;
export const EXIT_FALSE = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;

export interface StatusContext {
  json: boolean;
  controlAddress: string;
  tokenFile?: string;
}

export interface StatusIO {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
  /** Ends `--watch` (tests); otherwise SIGINT/SIGTERM do. */
  abort?: AbortSignal;
}

const USAGE = `usage: tcpvs status [--json] [--watch]
       tcpvs status server POOL SERVER [--is up|down|drained|disabled]
       tcpvs status vrrp INSTANCE [--is master|backup|fault]
       tcpvs status drain|enable|disable|check POOL SERVER
       tcpvs status weight POOL SERVER N
       tcpvs status vrrp INSTANCE backup|normal|priority N
       tcpvs status reload
exit: 0 ok/true, 1 false/refused, 2 usage, 3 daemon unreachable or bad token`;

const defaultIO: StatusIO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
};

class UsageError extends Error {}

interface Parsed {
  words: string[];
  json: boolean;
  watch: boolean;
  is?: string;
}

function parseArgs(argv: string[], ctx: StatusContext): Parsed {
  const p: Parsed = { words: [], json: ctx.json, watch: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") p.json = true;
    else if (a === "--watch" || a === "-w") p.watch = true;
    else if (a === "--is") {
      p.is = argv[++i];
      if (!p.is) throw new UsageError("Give --is a state, e.g. --is up");
    } else if (a.startsWith("--is=")) p.is = a.slice(5);
    else if (a.startsWith("-")) throw new UsageError(`Remove the unknown option "${a}"`);
    else p.words.push(a);
  }
  return p;
}

function need(words: string[], n: number, what: string): string[] {
  if (words.length !== n) throw new UsageError(`Give ${what}`);
  return words;
}

export async function runStatus(
  argv: string[],
  ctx: StatusContext,
  io: StatusIO = defaultIO,
): Promise<number> {
  let args: Parsed;
  try {
    args = parseArgs(argv, ctx);
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  let client: ControlClient | undefined;
  try {
    const token = ctx.tokenFile ? readTokenFile(ctx.tokenFile) : undefined;
    const plan = plan_(args);
    client = await ControlClient.connect(ctx.controlAddress, {
      token,
      clientName: `${safeUser()}@${hostname()}.${process.pid}`,
    });
    return await plan(client, args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof ControlError) {
      io.err(`tcpvs status: ${e.message}\n`);
      if (e.code === "not_found" || e.code === "action_failed" || e.code === "unavailable") return EXIT_FALSE;
      if (e.code === "bad_request" || e.code === "unknown_method") return EXIT_USAGE;
      return EXIT_UNREACHABLE;
    }
    throw e;
  } finally {
    client?.close();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? "?");
  }
}

type Plan = (c: ControlClient, a: Parsed, io: StatusIO) => Promise<number>;

/** Decide what to do before connecting, so usage errors never wait on a socket. */
function plan_(a: Parsed): Plan {
  const [verb, ...rest] = a.words;
  if (verb === undefined) return a.watch ? watch : show;
  switch (verb) {
    case "server": {
      const [pool, server] = need(rest, 2, "a pool and a server: status server POOL SERVER");
      return (c, args, io) => queryServer(c, args, io, pool!, server!);
    }
    case "drain":
    case "enable":
    case "disable":
    case "check": {
      const [pool, server] = need(rest, 2, `a pool and a server: status ${verb} POOL SERVER`);
      return (c, args, io) => act(c, args, io, verb, { pool, server });
    }
    case "weight": {
      const [pool, server, n] = need(rest, 3, "a pool, a server and a weight: status weight POOL SERVER N");
      const weight = Number(n);
      if (!Number.isInteger(weight) || weight < 0)
        throw new UsageError(`Give the weight as an integer >= 0, not "${n}"`);
      return (c, args, io) => act(c, args, io, "weight", { pool, server, weight });
    }
    case "reload":
      need(rest, 0, "no arguments to reload");
      return (c, args, io) => act(c, args, io, "reload", {});
    case "vrrp": {
      const [instance, action, n] = rest;
      if (!instance) throw new UsageError("Name the VRRP instance: status vrrp INSTANCE ...");
      if (action === undefined) return (c, args, io) => queryVrrp(c, args, io, instance);
      if (action === "backup" || action === "normal") {
        need(rest, 2, `no more arguments after "${action}"`);
        return (c, args, io) => act(c, args, io, "vrrp", { instance, action });
      }
      if (action === "priority") {
        const priority = Number(n);
        if (rest.length !== 3 || !Number.isInteger(priority) || priority < 1 || priority > 254) {
          throw new UsageError(`Give the priority as an integer from 1 to 254, not "${n ?? ""}"`);
        }
        return (c, args, io) => act(c, args, io, "vrrp", { instance, action, priority });
      }
      throw new UsageError(`Use vrrp INSTANCE backup|normal|priority N, not "${action}"`);
    }
  }
  throw new UsageError(`Use a known status command, not "${verb}"`);
}

async function show(c: ControlClient, a: Parsed, io: StatusIO): Promise<number> {
  const s = (await c.request("status")) as StatusSnapshot;
  io.out(a.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s, useColor(io)));
  return EXIT_OK;
}

function useColor(io: StatusIO): boolean {
  return io.isTTY && !process.env.NO_COLOR && process.env.TERM !== "dumb";
}

async function queryServer(
  c: ControlClient,
  a: Parsed,
  io: StatusIO,
  pool: string,
  id: string,
): Promise<number> {
  const s = (await c.request("status")) as StatusSnapshot;
  const sv = s.pools.find((p) => p.name === pool)?.servers.find((x) => x.id === id);
  if (!sv) throw new ControlError("not_found", `Name a server the daemon knows; "${pool}/${id}" is not one`);
  const state = serverState(sv);
  if (a.is === undefined) {
    io.out(a.json ? `${JSON.stringify(sv)}\n` : `${pool}/${id} ${state} weight=${sv.weight}\n`);
    return EXIT_OK;
  }
  const want = a.is.toLowerCase();
  if (!["up", "down", "drained", "disabled", "inhibited"].includes(want)) {
    throw new UsageError(`Use --is up|down|drained|disabled|inhibited, not "${a.is}"`);
  }
  // "down" means not serving for any reason; the others name the exact state.
  const match = want === "up" ? sv.up && sv.weight > 0 : want === "down" ? !sv.up : state === want;
  if (!a.json) io.out(`${pool}/${id} ${state}\n`);
  return match ? EXIT_OK : EXIT_FALSE;
}

async function queryVrrp(c: ControlClient, a: Parsed, io: StatusIO, instance: string): Promise<number> {
  const s = (await c.request("status")) as StatusSnapshot;
  const v = s.vrrp.find((x) => x.instance === instance);
  if (!v)
    throw new ControlError("not_found", `Name a VRRP instance the daemon runs; "${instance}" is not one`);
  if (a.is === undefined) {
    io.out(
      a.json ? `${JSON.stringify(v)}\n` : `${instance} ${v.state.toLowerCase()} priority=${v.priority}\n`,
    );
    return EXIT_OK;
  }
  if (!a.json) io.out(`${instance} ${v.state.toLowerCase()}\n`);
  return v.state.toLowerCase() === a.is.toLowerCase() ? EXIT_OK : EXIT_FALSE;
}

async function act(
  c: ControlClient,
  a: Parsed,
  io: StatusIO,
  method: string,
  params: Record<string, unknown>,
): Promise<number> {
  const r = await c.request(method, params);
  if (a.json) {
    io.out(`${JSON.stringify(r)}\n`);
  } else if (method === "reload") {
    const rr = r as { ok: boolean; errors: string[] };
    io.out(rr.ok ? "reloaded\n" : `reload refused:\n${rr.errors.map((e) => `  ${e}\n`).join("")}`);
  } else {
    io.out(`${method} ${Object.values(params).join(" ")}: ${JSON.stringify(r)}\n`);
  }
  // reload refused, or a check run now that failed: scripts branch on it.
  if ((method === "reload" || method === "check") && !(r as { ok: boolean }).ok) return EXIT_FALSE;
  return EXIT_OK;
}

/** Stream changes until interrupted or the daemon goes away. */
async function watch(c: ControlClient, a: Parsed, io: StatusIO): Promise<number> {
  const redraw = io.isTTY && !a.json;
  let timer: Timer | undefined;
  const draw = async () => {
    timer = undefined;
    const s = (await c.request("status").catch(() => undefined)) as StatusSnapshot | undefined;
    if (s) io.out(`\x1b[H\x1b[2J${formatStatus(s, useColor(io))}`);
  };
  c.onEvent((e) => {
    if (!redraw) {
      io.out(a.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`);
      return;
    }
    // Coalesce bursts of events into one redraw.
    timer ??= setTimeout(draw, 100);
  });
  const ended = new Promise<number>((resolve) => {
    c.onClose((why) => {
      io.err(`tcpvs status: ${why.message}\n`);
      resolve(EXIT_UNREACHABLE);
    });
    const stop = () => resolve(EXIT_OK);
    if (io.abort) io.abort.addEventListener("abort", stop, { once: true });
    else {
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    }
  });
  await c.request("subscribe");
  if (redraw) await draw();
  else if (!a.json) io.out(`watching ${new Date().toISOString()}\n`);
  const code = await ended;
  if (timer) clearTimeout(timer);
  return code;
}

const STATUS_FLAGS: FlagSpec[] = [
  { name: "watch", short: "w", type: "bool", desc: "stream changes live until Ctrl-C" },
  { name: "is", type: "string", arg: "STATE", desc: "exit 0 if the server/instance is in STATE, else 1" },
  {
    name: "control",
    type: "string",
    arg: "ADDRESS",
    desc: "control socket (default: the config's [global] control)",
  },
  {
    name: "token-file",
    type: "string",
    arg: "PATH",
    desc: "token for a TCP control address (default: the config's)",
  },
];

export const command: Command = {
  spec: {
    name: "status",
    summary: "read and steer a running tcpvs over its control channel",
    usage: "tcpvs status [ACTION ARGS...] [--json] [--watch] [--is STATE]",
    flags: STATUS_FLAGS,
    more: `${USAGE.replace(/^usage: /, "Actions:\n       ")}`,
    example: "tcpvs status drain app node-b && tcpvs status vrrp VI_1 --is master",
  },
  async run({ flags, positionals }) {
    let controlAddress = str(flags, "control");
    let tokenFile = str(flags, "token-file");
    if (!controlAddress) {
      // The daemon's own config says where it listens; without one, the packaged default.
      const explicit = str(flags, "config");
      const file = explicit ?? DEFAULT_CONFIG_PATHS.find((p) => existsSync(p));
      if (file) {
        const { config } = loadConfig(file);
        controlAddress = config.global.control.text;
        tokenFile ??= config.global.control_token_file;
      } else controlAddress = "unix:/run/tcpvs/control.sock";
    }
    const argv = [...positionals, ...toArgv(flags, STATUS_FLAGS.slice(0, 2))];
    return runStatus(argv, { json: Boolean(flags.json), controlAddress, tokenFile });
  },
};
