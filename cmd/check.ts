// `tcpvs check`: run health checks once and report like a Nagios plugin. Either one check described
// by flags (`tcpvs check http http://10.0.0.1/health --status 200`), or every check of every server in
// a config (`tcpvs check -c tcpvs.toml [--pool NAME]`), servers in parallel.
// Exit codes: 0 OK, 1 WARNING (some servers of a pool down), 2 CRITICAL (a single check failing, or
// every server of a pool down), 3 UNKNOWN (bad usage).

import { lookup } from "node:dns/promises";
import { runOneCheck } from "../core/check/registry.ts";
import {
  CHECK_FLAGS,
  CheckUsageError,
  checkFlagsHelp,
  parseCheckArgs,
  VALUE_FLAGS,
} from "../core/cli/check-flags.ts";
import type { CheckOutcome } from "../core/check/types.ts";
import type { Endpoint, TcpvsConfig } from "../core/config/types.ts";
import type { Command } from "./command.ts";
import { findConfig, loadConfig } from "../core/config/load.ts";
import { type FlagSpec, list, str } from "../core/cli/flags.ts";

const CHECK_TYPES_HELP = `Types and targets:
  tcp HOST:PORT            http URL | HOST[:PORT]     https URL | HOST[:PORT]
  smtp HOST[:25]           dns HOST[:53]              icmp HOST
  udp HOST:PORT            expect HOST:PORT           script [HOST:PORT]

Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
`;

export const CHECK_USAGE = `Usage: tcpvs check TYPE TARGET [FLAGS]
       tcpvs check -c FILE [--pool NAME] [--json] [--quiet]

${CHECK_TYPES_HELP}
Flags (the config keys' names; --record-type and --record_type both work):
${checkFlagsHelp()}
  --json  --quiet  --pool NAME

Example: tcpvs check http http://127.0.0.1:8080/health --status 200 --timeout 2s
`;

export const NAGIOS = ["OK", "WARNING", "CRITICAL", "UNKNOWN"] as const;

export interface CheckContext {
  json: boolean;
  config?: TcpvsConfig;
  /** Where output goes; stdout by default (tests capture it). */
  write?: (text: string) => void;
}

interface Row {
  pool: string;
  server: string;
  address: string;
  check: string;
  ok: boolean;
  reason: string;
  latencyMs: number;
}

function ms(n: number): string {
  return n < 10 ? n.toFixed(1) : String(Math.round(n));
}

export async function runCheck(argv: string[], ctx: CheckContext): Promise<number> {
  const write = ctx.write ?? ((t: string) => process.stdout.write(t));
  let args: ReturnType<typeof parseCheckArgs>;
  try {
    args = parseCheckArgs(argv);
  } catch (e) {
    if (!(e instanceof CheckUsageError)) throw e;
    if (!argv.includes("--quiet")) write(`TCPVS CHECK UNKNOWN - ${e.message}\n`);
    return 3;
  }
  if (args.help) {
    write(CHECK_USAGE);
    return 0;
  }
  const json = args.json || ctx.json;
  const say = (text: string) => {
    if (!args.quiet) write(text);
  };
  if (args.check && args.target) {
    let target = args.target;
    if (args.check.type === "icmp" && target.kind === "inet" && !/^[\d.]+$/.test(target.host)) {
      target = await resolve4(target).catch(() => target);
    }
    const out = await runOneCheck(args.check, target);
    const code = out.ok ? 0 : 2;
    if (json) say(`${JSON.stringify({ status: NAGIOS[code], code, check: args.label, ...out })}\n`);
    else say(`${oneLine(code, args.label ?? args.check.type, out)}\n`);
    return code;
  }
  if (!ctx.config) {
    say("TCPVS CHECK UNKNOWN - Give a check (tcpvs check TYPE TARGET) or a config (-c FILE)\n");
    return 3;
  }
  return runConfig(ctx.config, args.pool, json, say);
}

function oneLine(code: number, label: string, out: CheckOutcome): string {
  const weight = out.weight !== undefined ? `, weight ${out.weight}` : "";
  const verb =
    out.ok && out.reason === "connected"
      ? `connected in ${ms(out.latencyMs)} ms`
      : `${out.reason} in ${ms(out.latencyMs)} ms`;
  return `TCPVS CHECK ${NAGIOS[code]} - ${label}: ${verb}${weight}`;
}

async function resolve4(t: Endpoint & { kind: "inet" }): Promise<Endpoint> {
  const { address } = await lookup(t.host, { family: 4 });
  return { ...t, host: address };
}

async function runConfig(
  config: TcpvsConfig,
  only: string | undefined,
  json: boolean,
  say: (t: string) => void,
): Promise<number> {
  const pools = Object.values(config.pool).filter((p) => only === undefined || p.name === only);
  if (only !== undefined && pools.length === 0) {
    const names = Object.keys(config.pool).join(", ") || "none";
    say(`TCPVS CHECK UNKNOWN - Name a pool of ${config.file} (${names}): "${only}" is not one\n`);
    return 3;
  }
  const jobs: Array<Promise<Row>> = [];
  for (const p of pools) {
    for (const s of p.server) {
      for (const c of p.check) {
        jobs.push(
          runOneCheck(c, s.address).then((o) => ({
            pool: p.name,
            server: s.name,
            address: s.address.text,
            check: c.type,
            ok: o.ok,
            reason: o.reason,
            latencyMs: o.latencyMs,
          })),
        );
      }
    }
  }
  const rows = await Promise.all(jobs);
  const perPool: Array<{ pool: string; up: number; total: number; code: number }> = [];
  for (const p of pools) {
    if (p.check.length === 0 || p.server.length === 0) continue;
    const up = p.server.filter((s) =>
      rows.every((r) => r.pool !== p.name || r.server !== s.name || r.ok),
    ).length;
    const total = p.server.length;
    perPool.push({ pool: p.name, up, total, code: up === total ? 0 : up === 0 ? 2 : 1 });
  }
  const code = perPool.reduce((worst, p) => Math.max(worst, p.code), 0);
  if (json) {
    say(`${JSON.stringify({ status: NAGIOS[code], code, pools: perPool, checks: rows })}\n`);
    return code;
  }
  const summary = perPool.length
    ? perPool.map((p) => `pool ${p.pool}: ${p.up}/${p.total} up`).join(", ")
    : "no checks configured";
  say(`TCPVS CHECK ${NAGIOS[code]} - ${summary}\n`);
  if (rows.length > 0) say(table(rows));
  return code;
}

function table(rows: Row[]): string {
  const head = ["POOL", "SERVER", "ADDRESS", "CHECK", "RESULT", "MS", "REASON"];
  const cells = rows.map((r) => [
    r.pool,
    r.server,
    r.address,
    r.check,
    r.ok ? "up" : "DOWN",
    ms(r.latencyMs),
    r.reason,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    `${c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join("  ")}\n`;
  return line(head) + cells.map(line).join("");
}

// The CLI's view of this command: the check flags come from the check schema (core/cli/check-flags.ts),
// each under the config key's names; they are mapped back to runCheck's argv in order.
const FLAGS: FlagSpec[] = CHECK_FLAGS.flatMap((f) =>
  f.names.map((name, i) => ({
    name,
    type: f.type === "boolean" ? ("bool" as const) : f.multiple ? ("list" as const) : ("string" as const),
    arg: f.arg,
    desc: `${f.doc}${f.for ? ` (${f.for.join(", ")})` : ""}`,
    hidden: i > 0,
  })),
);
export const command: Command = {
  spec: {
    name: "check",
    summary: "run health checks once (Nagios exit codes), from flags or the config",
    usage: "tcpvs check TYPE TARGET [FLAGS] | tcpvs check -c FILE [--pool NAME]",
    flags: [
      ...FLAGS,
      { name: "pool", type: "string", arg: "NAME", desc: "with -c: only this pool's checks" },
      { name: "quiet", type: "bool", desc: "print nothing; the exit code tells" },
    ],
    more: CHECK_TYPES_HELP,
    usageExitCode: 3,
    example: "tcpvs check http http://127.0.0.1:8080/health --status 200 --timeout 2s",
  },
  async run({ flags, positionals }) {
    const argv = [...positionals];
    for (const n of VALUE_FLAGS) if (str(flags, n) !== undefined) argv.push(`--${n}`, str(flags, n)!);
    const sends = list(flags, "send");
    const expects = list(flags, "expect");
    for (let i = 0; i < Math.max(sends.length, expects.length); i++) {
      if (sends[i] !== undefined) argv.push("--send", sends[i]!);
      if (expects[i] !== undefined) argv.push("--expect", expects[i]!);
    }
    for (const f of FLAGS) if (f.type === "bool" && flags[f.name]) argv.push(`--${f.name}`);
    if (flags.quiet) argv.push("--quiet");
    const wantConfig = positionals.length === 0;
    const config = wantConfig ? loadConfig(findConfig(str(flags, "config"))).config : undefined;
    return runCheck(argv, { json: Boolean(flags.json), config });
  },
};
