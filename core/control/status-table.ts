// `tcpvs status` as a person reads it: one header line, VRRP instances, a table per pool, counters.
// Pure: takes a snapshot and whether to colour, returns text.

import type { EventJson } from "./event-json.ts";
import type { ServerSnapshot, StatusSnapshot, VrrpSnapshot } from "./snapshot.ts";

export type Paint = (code: number, s: string) => string;

export function painter(color: boolean): Paint {
  return color ? (code, s) => `\x1b[${code}m${s}\x1b[0m` : (_c, s) => s;
}

const GREEN = 32;
const RED = 31;
const YELLOW = 33;
const DIM = 2;
const BOLD = 1;

/** "3s", "4m", "2h05m", "3d04h". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}

function stateColor(state: string): number {
  return state === "up" || state === "master" ? GREEN : state === "down" || state === "fault" ? RED : YELLOW;
}

/** Pad by visible width so colour codes do not break the columns. */
function table(rows: string[][], paintCol?: (row: number, col: number, cell: string) => string): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows.map((r, ri) =>
    r
      .map((c, i) => {
        const padded = i === r.length - 1 ? c : c.padEnd(widths[i]!);
        return paintCol ? paintCol(ri, i, padded) : padded;
      })
      .join("  ")
      .trimEnd(),
  );
}

/** What is not plain about a server: who set its weight, how long it has been drained or disabled. */
export function serverNotes(sv: ServerSnapshot, now: number): string {
  const notes: string[] = [`weight=${sv.weight}`];
  if (sv.weight_source === "operator")
    notes.push(
      `weight set by an operator${sv.weight_set_at_ms ? ` ${ago(now - sv.weight_set_at_ms)} ago` : ""} (config ${sv.config_weight})`,
    );
  if (sv.weight_source === "check") notes.push(`weight set by a check (config ${sv.config_weight})`);
  if (sv.drained_at_ms !== null) notes.push(`drained for ${ago(now - sv.drained_at_ms)}`);
  if (sv.disabled_at_ms !== null) notes.push(`disabled for ${ago(now - sv.disabled_at_ms)}`);
  return notes.join(", ");
}

/** The WEIGHT cell: "3", "0/3" when it differs from the config, "*" when an operator set it. */
export function weightCell(sv: ServerSnapshot): string {
  const w = sv.weight === sv.config_weight ? String(sv.weight) : `${sv.weight}/${sv.config_weight}`;
  return sv.weight_source === "operator" ? `${w}*` : w;
}

/** The STATE cell: "drained 4m" says how long. */
export function serverStateCell(sv: ServerSnapshot, now: number): string {
  if (sv.state === "drained" && sv.drained_at_ms !== null) return `drained ${ago(now - sv.drained_at_ms)}`;
  if (sv.state === "disabled" && sv.disabled_at_ms !== null)
    return `disabled ${ago(now - sv.disabled_at_ms)}`;
  return sv.state;
}

/** The STATE cell of an instance: "backup (held 2m)". */
export function vrrpStateCell(v: VrrpSnapshot, now: number): string {
  return v.held ? `${v.state} (held ${ago(now - (v.held_at_ms ?? now))})` : v.state;
}

export function vrrpPriorityCell(v: VrrpSnapshot): string {
  return v.operator_priority !== null ? `${v.priority}*` : String(v.priority);
}

/** The lines every view shares at the top: who, since when, which file, what waits for a restart. */
export function headerLines(s: StatusSnapshot, p: Paint): string[] {
  const out = [
    `${p(BOLD, `tcpvs ${s.version}`)}${s.role ? ` ${s.role}` : ""}  up ${ago(s.uptime_seconds * 1000)}  ` +
      `config ${s.config.file} ${p(DIM, `(${s.config.sha256.slice(0, 12)})`)}`,
  ];
  if (s.pending_restart.length)
    out.push(p(YELLOW, `restart pending: ${s.pending_restart.join(", ")} changed in the file, not applied`));
  // One worker is the main thread, nothing to add.
  const workers = s.workers ?? [];
  if (workers.length > 1)
    out.push(
      `workers ${workers.length}  ${workers.map((w) => `#${w.id} ${w.connections} conns ${w.requests} reqs${w.queued ? ` ${w.queued} queued` : ""}`).join(", ")}`,
    );
  return out;
}

export function formatStatus(s: StatusSnapshot, color: boolean): string {
  const p = painter(color);
  const now = s.generated_at_ms;
  const out: string[] = headerLines(s, p);
  for (const l of s.virtual_servers) {
    out.push(`listen  ${l.name}  ${l.mode}${l.tls ? "+tls" : ""}  ${l.listen.join(",")} -> ${l.pool}`);
    for (const c of l.tls ?? [])
      out.push(
        `  certificate  ${c.names.join(",")}  ${c.days_left} days left (${c.not_after.slice(0, 10)})  ${c.file}`,
      );
  }
  if (s.vrrp.length > 0) {
    const rows = [["VRRP", "STATE", "PRIO", "VRID", "IFACE", "VIPS", "MASTER", "SINCE", "WHY"]];
    for (const v of s.vrrp) {
      rows.push([...vrrpCells(v, now), v.reason]);
    }
    out.push(
      "",
      ...table(rows, (r, c, cell) =>
        r > 0 && c === 1 ? p(stateColor(cell.trim().split(" ")[0]!), cell) : cell,
      ),
    );
  }
  for (const pool of s.pools) {
    out.push(
      "",
      `${p(BOLD, `pool ${pool.name}`)}  quorum ${pool.quorum_up ? p(GREEN, "ok") : p(RED, "lost")}`,
    );
    const rows = [
      ["  SERVER", "ADDRESS", "STATE", "WEIGHT", "ACT", "CONNS", "REQS", "ERRS", "SINCE", "LAST CHECK"],
    ];
    for (const sv of pool.servers) {
      const check = sv.last_check
        ? `${sv.last_check.ok ? "ok" : "FAIL"} ${Math.round(sv.last_check.latency_ms)}ms ${sv.last_check.reason}`
        : "-";
      rows.push([
        `  ${sv.name}${sv.backup ? " (backup)" : ""}`,
        sv.address,
        serverStateCell(sv, now),
        weightCell(sv),
        String(sv.active_connections),
        String(sv.connections_total),
        String(sv.requests_total),
        String(sv.errors_total),
        ago(now - sv.changed_at_ms),
        check,
      ]);
    }
    const sorry = pool.sorry_server;
    if (sorry)
      rows.push([
        "  sorry_server",
        sorry.address,
        pool.quorum_up ? "standby" : "serving",
        "-",
        String(sorry.active_connections),
        String(sorry.connections_total),
        String(sorry.requests_total),
        String(sorry.errors_total),
        "-",
        "-",
      ]);
    out.push(
      ...table(rows, (r, c, cell) =>
        r > 0 && c === 2 ? p(stateColor(cell.trim().split(" ")[0]!), cell) : cell,
      ),
    );
  }
  if (
    s.pools.some((pl) => pl.servers.some((sv) => sv.weight_source === "operator")) ||
    s.vrrp.some((v) => v.operator_priority !== null)
  )
    out.push("", p(DIM, "* set by an operator over the control channel (status weight / vrrp priority)"));
  const counters = Object.entries(s.counters);
  if (counters.length > 0) {
    out.push("", `counters  ${counters.map(([k, v]) => `${k}=${v}`).join("  ")}`);
  }
  return `${out.join("\n")}\n`;
}

/** One line per event for `--watch` without a terminal, and the watch view's event pane. */
export function formatEvent(e: EventJson, withDate = true): string {
  const d = new Date(e.at_ms).toISOString();
  const t = withDate ? d : d.slice(11, 19);
  switch (e.type) {
    case "server":
      return `${t} server ${e.pool}/${e.server} ${e.up ? "up" : "down"} weight=${e.weight} ${e.reason}`;
    case "pool":
      return `${t} pool ${e.pool} quorum ${e.quorum_up ? "ok" : "lost"}`;
    case "vrrp":
      return `${t} vrrp ${e.instance} ${e.state} priority=${e.priority} ${e.reason}`;
    case "reload":
      if (!e.ok) return `${t} reload refused: ${e.errors.join("; ")}`;
      return `${t} reload ok${e.pending_restart.length ? `, restart pending: ${e.pending_restart.join(", ")}` : ""}`;
    case "action":
      return `${t} action ${e.action} by ${e.peer} ${Object.entries(e.detail)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ")}`;
  }
}

/** A VRRP instance's cells in the table and the watch view: name to SINCE. */
export function vrrpCells(v: StatusSnapshot["vrrp"][number], now: number): string[] {
  return [
    v.name,
    vrrpStateCell(v, now),
    vrrpPriorityCell(v),
    v.vrid === null ? "-" : String(v.vrid),
    v.interface ?? "-",
    v.vips.join(",") || "-",
    v.master ?? "-",
    ago(now - v.changed_at_ms),
  ];
}
