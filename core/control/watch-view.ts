// The model behind `tcpvs status --watch`: successive snapshots become per-second rates (requests/s,
// 5xx/s, errors/s) with a minute of history each, recent events are kept for a pane, and the whole is
// rendered as one screen. Pure: snapshots, events and times come in, text and JSON come out.

import type { EventJson } from "./event-json.ts";
import type { StatusSnapshot } from "./snapshot.ts";
import { formatEvent, headerLines, painter, serverStateCell, vrrpCells, weightCell } from "./status-table.ts";

/** Samples kept per series: a minute at one per second. */
export const HISTORY = 60;
/** Events kept for the pane. */
export const EVENT_PANE = 8;

const BARS = "▁▂▃▄▅▆▇█";

/** One character per value, scaled to the largest; "" for no values. */
export function sparkline(values: readonly number[], width = values.length): string {
  const v = values.slice(-width);
  const max = Math.max(0, ...v);
  return v.map((x) => (max <= 0 ? BARS[0] : BARS[Math.min(7, Math.floor((x / max) * 7.999))])).join("");
}

export interface VsRate {
  name: string;
  active_connections: number;
  requests_per_second: number;
  responses_5xx_per_second: number;
}

export interface ServerRate {
  pool: string;
  server: string;
  state: string;
  weight: number;
  active_connections: number;
  requests_per_second: number;
  errors_per_second: number;
  responses_5xx_per_second: number;
  check_latency_ms: number | null;
}

/** One `stats` line of `--watch --json`: docs/schema/watch.schema.json. */
export interface StatsLine {
  type: "stats";
  at_ms: number;
  interval_ms: number;
  virtual_servers: VsRate[];
  servers: ServerRate[];
}

function rate(now: number, before: number | undefined, seconds: number): number {
  if (before === undefined || seconds <= 0 || now < before) return 0;
  return Math.round(((now - before) / seconds) * 100) / 100;
}

export class WatchModel {
  snapshot: StatusSnapshot | undefined;
  private previous: StatusSnapshot | undefined;
  readonly events: EventJson[] = [];
  /** "vs:web" and "server:app/a1" → the last HISTORY requests/s. */
  readonly history = new Map<string, number[]>();
  /** A line about the connection ("reconnected 12:00:01"), shown until the next one. */
  notice: string | undefined;

  /** A fresh snapshot after a (re)connect: rates restart from it. */
  reset(s: StatusSnapshot): void {
    this.previous = undefined;
    this.snapshot = s;
  }

  /** A periodic snapshot: the rates since the last one, and history pushed. */
  tick(s: StatusSnapshot): StatsLine {
    this.previous = this.snapshot;
    this.snapshot = s;
    const prev = this.previous;
    const ms = prev ? s.generated_at_ms - prev.generated_at_ms : 0;
    const sec = ms / 1000;
    const vsPrev = new Map(prev?.virtual_servers.map((v) => [v.name, v]) ?? []);
    const virtual_servers = s.virtual_servers.map((v): VsRate => {
      const p = vsPrev.get(v.name);
      const r: VsRate = {
        name: v.name,
        active_connections: v.active_connections,
        requests_per_second: rate(v.requests_total, p?.requests_total, sec),
        responses_5xx_per_second: rate(v.responses_5xx_total, p?.responses_5xx_total, sec),
      };
      this.push(`vs:${v.name}`, r.requests_per_second);
      return r;
    });
    const svPrev = new Map<
      string,
      { requests_total: number; errors_total: number; responses_5xx_total: number }
    >();
    for (const pool of prev?.pools ?? [])
      for (const sv of pool.servers) svPrev.set(`${pool.name}/${sv.name}`, sv);
    const servers: ServerRate[] = [];
    for (const pool of s.pools) {
      for (const sv of pool.servers) {
        const key = `${pool.name}/${sv.name}`;
        const p = svPrev.get(key);
        const r: ServerRate = {
          pool: pool.name,
          server: sv.name,
          state: sv.state,
          weight: sv.weight,
          active_connections: sv.active_connections,
          requests_per_second: rate(sv.requests_total, p?.requests_total, sec),
          errors_per_second: rate(sv.errors_total, p?.errors_total, sec),
          responses_5xx_per_second: rate(sv.responses_5xx_total, p?.responses_5xx_total, sec),
          check_latency_ms: sv.last_check?.latency_ms ?? null,
        };
        this.push(`server:${key}`, r.requests_per_second);
        servers.push(r);
      }
    }
    return { type: "stats", at_ms: s.generated_at_ms, interval_ms: ms, virtual_servers, servers };
  }

  event(e: EventJson): void {
    this.events.push(e);
    if (this.events.length > EVENT_PANE) this.events.splice(0, this.events.length - EVENT_PANE);
  }

  private push(key: string, v: number): void {
    let h = this.history.get(key);
    if (!h) {
      h = [];
      this.history.set(key, h);
    }
    h.push(v);
    if (h.length > HISTORY) h.splice(0, h.length - HISTORY);
  }

  /** The screen: header, virtual servers, VRRP, pools with rates and sparklines, recent events. */
  render(stats: StatsLine | undefined, color: boolean): string {
    const s = this.snapshot;
    if (!s) return `${this.notice ?? "waiting for the daemon"}\n`;
    const p = painter(color);
    const now = s.generated_at_ms;
    const out = headerLines(s, p);
    if (this.notice) out.push(p(33, this.notice));
    const vsRate = new Map(stats?.virtual_servers.map((v) => [v.name, v]) ?? []);
    const rows: string[][] = [["VIRTUAL SERVER", "LISTEN", "POOL", "CONN", "REQ/S", "5XX/S", "LAST MINUTE"]];
    for (const v of s.virtual_servers) {
      const r = vsRate.get(v.name);
      rows.push([
        v.name,
        v.listen.join(","),
        v.pool,
        String(v.active_connections),
        num(r?.requests_per_second),
        num(r?.responses_5xx_per_second),
        sparkline(this.history.get(`vs:${v.name}`) ?? [], 30),
      ]);
    }
    if (s.virtual_servers.length) out.push("", ...columns(rows));
    if (s.vrrp.length) {
      const vr = [["VRRP", "STATE", "PRIO", "VRID", "IFACE", "VIPS", "MASTER", "SINCE"]];
      for (const v of s.vrrp) vr.push(vrrpCells(v, now));
      out.push("", ...columns(vr));
    }
    const svRate = new Map(stats?.servers.map((x) => [`${x.pool}/${x.server}`, x]) ?? []);
    for (const pool of s.pools) {
      out.push("", `pool ${pool.name}  quorum ${pool.quorum_up ? "ok" : p(31, "lost")}`);
      const pr = [["  SERVER", "STATE", "WEIGHT", "CONN", "REQ/S", "5XX/S", "ERR/S", "CHECK", "LAST MINUTE"]];
      for (const sv of pool.servers) {
        const r = svRate.get(`${pool.name}/${sv.name}`);
        const check = sv.last_check
          ? `${sv.last_check.ok ? "ok" : "FAIL"} ${sv.last_check.latency_ms.toFixed(1)}ms`
          : "-";
        pr.push([
          `  ${sv.name}`,
          serverStateCell(sv, now),
          weightCell(sv),
          String(sv.active_connections),
          num(r?.requests_per_second),
          num(r?.responses_5xx_per_second),
          num(r?.errors_per_second),
          check,
          sparkline(this.history.get(`server:${pool.name}/${sv.name}`) ?? [], 30),
        ]);
      }
      out.push(...columns(pr));
    }
    out.push("", p(1, "recent events"));
    if (this.events.length === 0) out.push(p(2, "  (none since this watch began)"));
    for (const e of this.events) out.push(`  ${formatEvent(e, false)}`);
    out.push("", p(2, `${new Date(now).toISOString().slice(11, 19)}  every 1s  Ctrl-C to quit`));
    return `${out.join("\n")}\n`;
  }
}

function num(n: number | undefined): string {
  if (n === undefined) return "-";
  return n >= 100 ? String(Math.round(n)) : n.toFixed(1);
}

function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...c].length);
    });
  }
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + " ".repeat(widths[i]! - [...c].length)))
      .join("  ")
      .trimEnd(),
  );
}
