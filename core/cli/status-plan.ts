// What `tcpvs status WORDS...` means, decided before connecting (so a usage error never waits on a
// socket), and each plan's run against a connected client: the table, one server or instance, the
// `--is` test, or an action. Exit codes are docs/control.md's.

import type { OptionSpec } from "./parse-argv.ts";
import { UsageError } from "./usage-error.ts";
import { nearest } from "../config/values.ts";
import type { ControlClient } from "../control/control-client.ts";
import { ControlError } from "../control/control-error.ts";
import type { ActionResult } from "../control/control-handler.ts";
import type { ServerSnapshot, StatusSnapshot } from "../control/snapshot.ts";
import { ago, formatStatus, serverNotes } from "../control/status-table.ts";

export const EXIT_OK = 0;
export const EXIT_FALSE = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;

export const STATUS_USAGE = `usage: tcpvs status [--json] [--watch]
       tcpvs status server POOL SERVER [--is up|down|drained|disabled]
       tcpvs status vrrp INSTANCE [--is master|backup|fault]
       tcpvs status drain|enable|disable|check POOL SERVER
       tcpvs status weight POOL SERVER N
       tcpvs status vrrp INSTANCE backup|normal|priority N
       tcpvs status reload
       tcpvs status --all [drain|enable|disable|weight|check|reload|vrrp ...]
exit: 0 ok/true, 1 false/refused, 2 usage, 3 daemon unreachable or bad token`;

/** The flags of `tcpvs status` besides the global ones. */
export const STATUS_OPTIONS = [
  {
    name: "watch",
    short: "w",
    type: "boolean",
    description: "a live view ticking every second (with --json: JSON lines), until Ctrl-C",
  },
  {
    name: "all",
    short: "a",
    type: "boolean",
    description: "this node and every [global] peers node: the table side by side, or the action on each",
  },
  {
    name: "is",
    type: "string",
    arg: "STATE",
    description: "with server or vrrp: exit 0 if it is in STATE, else 1 (up, down, drained, master ...)",
    example: "master",
  },
  {
    name: "control",
    type: "string",
    arg: "ADDRESS",
    description: "the control socket or host:port (default: the config's [global] control)",
    example: "unix:/run/tcpvs/control.sock",
  },
  {
    name: "token-file",
    type: "string",
    arg: "PATH",
    description: "the token for a TCP control address (default: the config's)",
    example: "/etc/tcpvs/control.token",
  },
] as const satisfies readonly OptionSpec[];

export interface StatusIO {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
  /** Ends `--watch` (tests); otherwise SIGINT/SIGTERM do. */
  abort?: AbortSignal;
}

export interface StatusArgs {
  words: string[];
  json: boolean;
  watch: boolean;
  /** `--is STATE`: answer with the exit code instead of printing the state. */
  is?: string;
  /** `--all`: this node and every [global] peers node. */
  all?: boolean;
}

export type Plan = (c: ControlClient, a: StatusArgs, io: StatusIO) => Promise<number>;

const SERVER_STATES = ["up", "down", "drained", "disabled", "inhibited"];

/** The words `tcpvs status` takes first (also offered by the shell completion). */
export const STATUS_VERBS = ["server", "vrrp", "drain", "enable", "disable", "check", "weight", "reload"];

function bad(message: string): UsageError {
  return new UsageError("bad_arguments", message);
}

function need(words: string[], n: number, what: string): string[] {
  if (words.length !== n) throw bad(`Give ${what}`);
  return words;
}

/** What the words ask for, checked before connecting (so a usage error never waits on a socket). */
export type StatusIntent =
  | { kind: "show" }
  | { kind: "watch" }
  | { kind: "server"; pool: string; server: string }
  | { kind: "vrrp"; instance: string }
  | { kind: "action"; method: string; params: Record<string, unknown> };

export function statusIntent(a: StatusArgs): StatusIntent {
  const [verb, ...rest] = a.words;
  if (a.is !== undefined && verb !== "server" && !(verb === "vrrp" && rest.length === 1))
    throw bad(`Use --is with "status server POOL SERVER" or "status vrrp INSTANCE", not alone`);
  if (verb === undefined) return { kind: a.watch ? "watch" : "show" };
  switch (verb) {
    case "server": {
      const [pool, server] = need(rest, 2, "a pool and a server: status server POOL SERVER");
      if (a.is !== undefined && !SERVER_STATES.includes(a.is.toLowerCase()))
        throw bad(`Use --is up|down|drained|disabled|inhibited, not "${a.is}"`);
      return { kind: "server", pool: pool!, server: server! };
    }
    case "drain":
    case "enable":
    case "disable":
    case "check": {
      const [pool, server] = need(rest, 2, `a pool and a server: status ${verb} POOL SERVER`);
      return { kind: "action", method: verb, params: { pool, server } };
    }
    case "weight": {
      const [pool, server, n] = need(rest, 3, "a pool, a server and a weight: status weight POOL SERVER N");
      const weight = Number(n);
      if (!Number.isInteger(weight) || weight < 0)
        throw bad(`Give the weight as an integer >= 0, not "${n}"`);
      return { kind: "action", method: "weight", params: { pool, server, weight } };
    }
    case "reload":
      need(rest, 0, "no arguments to reload");
      return { kind: "action", method: "reload", params: {} };
    case "vrrp": {
      const [instance, action, n] = rest;
      if (!instance) throw bad("Name the VRRP instance: status vrrp INSTANCE ...");
      if (action === undefined) return { kind: "vrrp", instance };
      if (action === "backup" || action === "normal") {
        need(rest, 2, `no more arguments after "${action}"`);
        return { kind: "action", method: "vrrp", params: { instance, action } };
      }
      if (action === "priority") {
        const priority = Number(n);
        if (rest.length !== 3 || !Number.isInteger(priority) || priority < 1 || priority > 254) {
          throw bad(`Give the priority as an integer from 1 to 254, not "${n ?? ""}"`);
        }
        return { kind: "action", method: "vrrp", params: { instance, action, priority } };
      }
      throw bad(`Use vrrp INSTANCE backup|normal|priority N, not "${action}"`);
    }
  }
  const hint = nearest(verb, STATUS_VERBS);
  throw bad(
    `Use a known status action (${STATUS_VERBS.join(", ")}), not "${verb}"${hint ? `; did you mean "${hint}"?` : ""}`,
  );
}

/** The plan for these words; `watch` is the stream of events, run elsewhere. */
export function planStatus(a: StatusArgs, watch: Plan): Plan {
  const i = statusIntent(a);
  switch (i.kind) {
    case "show":
      return show;
    case "watch":
      return watch;
    case "server":
      return (c, args, io) => queryServer(c, args, io, i.pool, i.server);
    case "vrrp":
      return (c, args, io) => queryVrrp(c, args, io, i.instance);
    case "action":
      return (c, args, io) => act(c, args, io, i.method, i.params);
  }
}

/**
 * `--is` for a server: "down" means not serving for any reason, "up" serving with a weight above 0;
 * the others name the exact state.
 */
export function serverIs(sv: ServerSnapshot, want: string): boolean {
  const w = want.toLowerCase();
  if (w === "up") return sv.up && sv.weight > 0;
  if (w === "down") return !sv.up;
  return sv.state === w;
}

export function useColor(io: StatusIO): boolean {
  return io.isTTY && !process.env.NO_COLOR && process.env.TERM !== "dumb";
}

async function show(c: ControlClient, a: StatusArgs, io: StatusIO): Promise<number> {
  const s = (await c.request("status")) as StatusSnapshot;
  io.out(a.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s, useColor(io)));
  return EXIT_OK;
}

async function queryServer(
  c: ControlClient,
  a: StatusArgs,
  io: StatusIO,
  pool: string,
  id: string,
): Promise<number> {
  const s = (await c.request("status")) as StatusSnapshot;
  const sv = s.pools.find((p) => p.name === pool)?.servers.find((x) => x.name === id);
  if (!sv) throw new ControlError("not_found", `Name a server the daemon knows; "${pool}/${id}" is not one`);
  const is = a.is === undefined ? undefined : serverIs(sv, a.is);
  if (a.json)
    io.out(`${JSON.stringify({ pool, ...sv, ...(is === undefined ? {} : { is: a.is, matches: is }) })}\n`);
  else
    io.out(
      `${pool}/${id} ${sv.state}${a.is === undefined ? ` ${serverNotes(sv, s.generated_at_ms)}` : ""}\n`,
    );
  if (is === undefined) return EXIT_OK;
  return is ? EXIT_OK : EXIT_FALSE;
}

async function queryVrrp(c: ControlClient, a: StatusArgs, io: StatusIO, instance: string): Promise<number> {
  const s = (await c.request("status")) as StatusSnapshot;
  const v = s.vrrp.find((x) => x.name === instance);
  if (!v)
    throw new ControlError("not_found", `Name a VRRP instance the daemon runs; "${instance}" is not one`);
  const is = a.is === undefined ? undefined : v.state === a.is.toLowerCase();
  if (a.json) io.out(`${JSON.stringify({ ...v, ...(is === undefined ? {} : { is: a.is, matches: is }) })}\n`);
  else if (a.is !== undefined) io.out(`${instance} ${v.state}${v.held ? " (held)" : ""}\n`);
  else {
    const held = v.held ? ` held since ${ago(s.generated_at_ms - (v.held_at_ms ?? s.generated_at_ms))}` : "";
    const op = v.operator_priority !== null ? ` (set by an operator; config ${v.config_priority})` : "";
    io.out(`${instance} ${v.state} priority=${v.priority}${op}${held}\n`);
  }
  if (is === undefined) return EXIT_OK;
  return is ? EXIT_OK : EXIT_FALSE;
}

async function act(
  c: ControlClient,
  a: StatusArgs,
  io: StatusIO,
  method: string,
  params: Record<string, unknown>,
): Promise<number> {
  const r = (await c.request(method, params)) as ActionResult;
  if (a.json) io.out(`${JSON.stringify(r)}\n`);
  else {
    const errors = Array.isArray(r.errors) ? (r.errors as Array<{ message: string }>) : [];
    io.out(`${r.message}\n${errors.map((e) => `  ${e.message}\n`).join("")}`);
  }
  // reload refused or partly pending, or a check run now that failed: scripts branch on it.
  return r.ok ? EXIT_OK : EXIT_FALSE;
}
