// `tcpvs check`'s report: run health checks once and answer like a Nagios plugin. Either one check described
// by flags (`tcpvs check http http://10.0.0.1/health --status 200`), or every check of every server in
// a config (`tcpvs check -c tcpvs.toml [--pool NAME]`), servers in parallel.
// Exit codes: 0 OK, 1 WARNING (some servers of a pool down), 2 CRITICAL (a single check failing, or
// every server of a pool down), 3 UNKNOWN (bad usage).

import { lookup } from "node:dns/promises";
import type { Endpoint, TcpvsConfig } from "../config/types.ts";
import { CheckUsageError, checkFlagsHelp, parseCheckArgs } from "./check-flags.ts";
import { runOneCheck } from "../check/registry.ts";
import { msText, NAGIOS, poolPerf, statusWord, timePerf, unknownJson, withPerf } from "./nagios-output.ts";
import type { CheckOutcome } from "../check/types.ts";

/** What TYPE and TARGET look like, and the exit codes: the part of --help the flags do not say. */
export const CHECK_TYPES_HELP = `Types and targets:
  tcp HOST:PORT            http URL | HOST[:PORT]     https URL | HOST[:PORT]
  smtp HOST[:25]           dns HOST[:53]              icmp HOST
  udp HOST:PORT            expect HOST:PORT           script [HOST:PORT]
  vrrp NAME                a VRRP instance of the running daemon (--expect master|backup)

Flags have the config keys' names (--record-type and --record_type both work): a line that works here
works as a [pool.NAME.check] table. Every output line ends with Nagios performance data after "|".

Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad usage, no config to read).
`;

export const CHECK_USAGE = `Usage: tcpvs check TYPE TARGET [FLAGS]
       tcpvs check -c FILE [--pool NAME] [--json] [--quiet]
       tcpvs check vrrp NAME [--expect master|backup] [--control ADDRESS]

${CHECK_TYPES_HELP}
Flags (the config keys' names):
${checkFlagsHelp()}
  --json  --quiet  --pool NAME

Example: tcpvs check http http://127.0.0.1:8080/health --status 200 --timeout 2s
`;

export { NAGIOS };

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

const ms = msText;

export async function runCheck(argv: string[], ctx: CheckContext): Promise<number> {
  const write = ctx.write ?? ((t: string) => process.stdout.write(t));
  let args: ReturnType<typeof parseCheckArgs>;
  try {
    args = parseCheckArgs(argv);
  } catch (e) {
    if (!(e instanceof CheckUsageError)) throw e;
    if (argv.includes("--quiet")) return 3;
    if (ctx.json || argv.includes("--json")) write(`${JSON.stringify(unknownJson(e.message))}\n`);
    else write(`TCPVS CHECK UNKNOWN - ${e.message}\n`);
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
    if (json)
      say(
        `${JSON.stringify({
          ok: out.ok,
          status: statusWord(code),
          exit_code: code,
          check: { type: args.check.type, label: args.label ?? args.check.type, target: target.text },
          reason: out.reason,
          latency_ms: Math.round(out.latencyMs * 1000) / 1000,
          weight: out.weight ?? null,
        })}\n`,
      );
    else say(`${withPerf(oneLine(code, args.label ?? args.check.type, out), timePerf(out.latencyMs))}\n`);
    return code;
  }
  if (!ctx.config) {
    const message = "Give a check (tcpvs check TYPE TARGET) or a config (-c FILE)";
    say(json ? `${JSON.stringify(unknownJson(message))}\n` : `TCPVS CHECK UNKNOWN - ${message}\n`);
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
    const message = `Name a pool of ${config.file} (${names}): "${only}" is not one`;
    say(
      json ? `${JSON.stringify(unknownJson(message, "not_found"))}\n` : `TCPVS CHECK UNKNOWN - ${message}\n`,
    );
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
    say(
      `${JSON.stringify({
        ok: code === 0,
        status: statusWord(code),
        exit_code: code,
        pools: perPool.map((p) => ({
          name: p.pool,
          status: statusWord(p.code),
          servers_up: p.up,
          servers_down: p.total - p.up,
          servers_total: p.total,
        })),
        checks: rows.map((r) => ({
          pool: r.pool,
          server: r.server,
          address: r.address,
          type: r.check,
          ok: r.ok,
          reason: r.reason,
          latency_ms: Math.round(r.latencyMs * 1000) / 1000,
        })),
      })}\n`,
    );
    return code;
  }
  const summary = perPool.length
    ? perPool.map((p) => `pool ${p.pool}: ${p.up}/${p.total} up`).join(", ")
    : "no checks configured";
  say(`${withPerf(`TCPVS CHECK ${NAGIOS[code]} - ${summary}`, poolPerf(perPool))}\n`);
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
