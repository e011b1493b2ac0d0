// The Nagios side of `tcpvs check`: performance data after the `|` of every line (plugin guidelines:
// 'label'=value[UOM];warn;crit;min;max), and the JSON contract's shapes for --json (docs/json.md,
// docs/schema/check.schema.json): lowercase status, the exit code, units in the key names.

import { jsonError } from "./json-errors.ts";

export const NAGIOS = ["OK", "WARNING", "CRITICAL", "UNKNOWN"] as const;
export type NagiosStatus = "ok" | "warning" | "critical" | "unknown";

export function statusWord(code: number): NagiosStatus {
  return (NAGIOS[code] ?? "UNKNOWN").toLowerCase() as NagiosStatus;
}

/** A perfdata label: quoted when it holds anything but word characters, quotes doubled. */
export function perfLabel(label: string): string {
  return /^[\w.-]+$/.test(label) ? label : `'${label.replace(/'/g, "''")}'`;
}

/** Milliseconds with one decimal below 10, whole above: "1.6", "12". */
export function msText(n: number): string {
  return n < 10 ? n.toFixed(1) : String(Math.round(n));
}

/** `time=1.6ms;;;0`: one check's duration, no thresholds, minimum 0. */
export function timePerf(latencyMs: number): string {
  return `time=${msText(latencyMs)}ms;;;0`;
}

/** Per pool: servers up and down, each bounded by the pool's size. */
export function poolPerf(pools: ReadonlyArray<{ pool: string; up: number; total: number }>): string {
  return pools
    .flatMap((p) => [
      `${perfLabel(`${p.pool}_up`)}=${p.up};;;0;${p.total}`,
      `${perfLabel(`${p.pool}_down`)}=${p.total - p.up};;;0;${p.total}`,
    ])
    .join(" ");
}

/** "TEXT | PERF" or "TEXT" when there is no perfdata. */
export function withPerf(text: string, perf: string): string {
  return perf ? `${text} | ${perf}` : text;
}

/** What --json prints when the check could not be run at all (usage, a missing config): UNKNOWN. */
export function unknownJson(message: string, code = "usage") {
  return { ...jsonError(code, message), status: "unknown" as const, exit_code: 3 };
}
