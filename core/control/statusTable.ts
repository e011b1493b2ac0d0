// `tcpvs status` as a person reads it: one header line, VRRP instances, a table per pool, counters.
// Pure: takes a snapshot and whether to colour, returns text.

import type { ClusterEvent } from "../state/cluster.ts";
import type { ServerSnapshot, StatusSnapshot } from "./snapshot.ts";

type Paint = (code: number, s: string) => string;

function painter(color: boolean): Paint {
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

export function serverState(s: ServerSnapshot): string {
  if (s.disabled) return "disabled";
  if (!s.healthy) return "down";
  if (s.drained) return "drained";
  if (s.inhibited) return "inhibited";
  return "up";
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

export function formatStatus(s: StatusSnapshot, color: boolean): string {
  const p = painter(color);
  const out: string[] = [];
  out.push(
    `${p(BOLD, `tcpvs ${s.version}`)}${s.role ? ` ${s.role}` : ""}  up ${ago(s.uptime_seconds * 1000)}  ` +
      `config ${s.config.file} ${p(DIM, `(${s.config.hash.slice(0, 12)})`)}`,
  );
  // An older daemon's snapshot has no `workers`; one worker is the main thread, nothing to add.
  const workers = s.workers ?? [];
  if (workers.length > 1)
    out.push(
      `workers ${workers.length}  ${workers.map((w) => `#${w.id} ${w.connections} conns ${w.requests} reqs`).join(", ")}`,
    );
  for (const l of s.listeners) {
    out.push(
      `listen  ${l.virtual_server}  ${l.mode}${l.tls ? "+tls" : ""}  ${l.listen.join(",")} -> ${l.pool}`,
    );
    for (const c of l.tls ?? [])
      out.push(
        `  certificate  ${c.names.join(",")}  ${c.days_left} days left (${c.not_after.slice(0, 10)})  ${c.file}`,
      );
  }
  if (s.vrrp.length > 0) {
    const rows = [["VRRP", "STATE", "PRIO", "MASTER", "SINCE", "WHY"]];
    for (const v of s.vrrp) {
      rows.push([
        v.instance,
        v.state.toLowerCase(),
        String(v.priority),
        v.master ?? "-",
        ago(s.now - v.since),
        v.reason,
      ]);
    }
    out.push(
      "",
      ...table(rows, (r, c, cell) => (r > 0 && c === 1 ? p(stateColor(cell.trim()), cell) : cell)),
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
        ? `${sv.last_check.ok ? "ok" : "FAIL"} ${Math.round(sv.last_check.latencyMs)}ms ${sv.last_check.reason}`
        : "-";
      rows.push([
        `  ${sv.id}${sv.backup ? " (backup)" : ""}`,
        sv.address,
        serverState(sv),
        sv.weight === sv.config_weight ? String(sv.weight) : `${sv.weight}/${sv.config_weight}`,
        String(sv.active),
        String(sv.total_connections),
        String(sv.requests),
        String(sv.errors),
        ago(s.now - sv.since),
        check,
      ]);
    }
    out.push(...table(rows, (r, c, cell) => (r > 0 && c === 2 ? p(stateColor(cell.trim()), cell) : cell)));
  }
  const counters = Object.entries(s.counters);
  if (counters.length > 0) {
    out.push("", `counters  ${counters.map(([k, v]) => `${k}=${v}`).join("  ")}`);
  }
  return `${out.join("\n")}\n`;
}

/** One line per event for `--watch` without a terminal. */
export function formatEvent(e: ClusterEvent): string {
  const t = new Date(e.at).toISOString();
  switch (e.type) {
    case "server":
      return `${t} server ${e.pool}/${e.server} ${e.up ? "up" : "down"} weight=${e.weight} ${e.reason}`;
    case "pool":
      return `${t} pool ${e.pool} quorum ${e.quorum ? "ok" : "lost"}`;
    case "vrrp":
      return `${t} vrrp ${e.instance} ${e.state} priority=${e.priority} ${e.reason}`;
    case "reload":
      return `${t} reload ${e.ok ? "ok" : `failed: ${(e.errors ?? []).join("; ")}`}`;
    case "action":
      return `${t} action ${e.action} by ${e.peer} ${JSON.stringify(e.detail)}`;
  }
}
