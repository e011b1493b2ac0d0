// Prometheus text exposition of everything a tcpvs knows. Server, pool and VRRP figures are read from
// the cluster at scrape time; the switch feeds only what the cluster does not hold (HTTP responses by
// class, latency per pool) through handles it looks up once. Names follow HAProxy's exporter where
// there is an equivalent.

import type { Cluster, ServerState } from "../state/cluster.ts";
import { Histogram, LATENCY_BUCKETS } from "./histogram.ts";
import { renderTlsMetrics, type TlsCertificates } from "../tls/tls-metrics.ts";

// "cut": a response that ended short (server stalled or reset mid-body, client timed out or left), counted
// apart whatever its status line said: a 200 whose body stopped half-way is not a 2xx served.
const CODE_CLASSES = ["other", "1xx", "2xx", "3xx", "4xx", "5xx", "cut"] as const;
const CUT = 6;

/** What tcpvs_vrrp_state's value means; the same numbers keepalived's exporter uses. */
export const VRRP_STATE_VALUES: Record<string, number> = { init: 0, backup: 1, master: 2, fault: 3, stop: 4 };

/** Responses of one virtual server from one pool, counted by status class. */
/** Response counters by (virtual server, pool), made on first use. */
export class ResponseCounters {
  private readonly byKey = new Map<string, { vs: string; pool: string; c: ResponseCounter }>();

  get(vs: string, pool: string): ResponseCounter {
    const key = `${vs}\u0000${pool}`;
    let e = this.byKey.get(key);
    if (!e) {
      e = { vs, pool, c: new ResponseCounter() };
      this.byKey.set(key, e);
    }
    return e.c;
  }

  all(): IterableIterator<{ vs: string; pool: string; c: ResponseCounter }> {
    return this.byKey.values();
  }
}

export class ResponseCounter {
  readonly byClass = new Float64Array(CODE_CLASSES.length);
  /** One response; `cut` when it ended short (then it counts as cut, not by its status). */
  inc(status: number, cut = false): void {
    if (cut) {
      this.byClass[CUT]!++;
      return;
    }
    const c = (status / 100) | 0;
    this.byClass[c >= 1 && c <= 5 ? c : 0]!++;
  }
}

/** A figure read at scrape time from a part that owns it (the switch's held bytes ...). */
export interface Gauge {
  name: string;
  help: string;
  value: number;
}

export interface MetricsSource {
  cluster: Cluster;
  /** Gauges of parts other than the cluster, read at each scrape. */
  gauges?: () => Gauge[];
  version?: string;
  /** Epoch ms the process started. */
  startedAt?: number;
  /** Bring in figures kept elsewhere (data-path workers' reports) before a scrape. */
  sync?: () => Promise<void>;
  /** The certificates of the TLS listeners (read at scrape time: a reload changes them). */
  tlsCertificates?(): TlsCertificates[];
}

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

class Out {
  lines: string[] = [];
  family(name: string, type: "gauge" | "counter" | "histogram", help: string): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }
  sample(name: string, labels: Record<string, string>, value: number): void {
    const ls = Object.entries(labels)
      .map(([k, v]) => `${k}="${esc(v)}"`)
      .join(",");
    this.lines.push(`${name}${ls ? `{${ls}}` : ""} ${num(value)}`);
  }
}

export class MetricsRegistry {
  private readonly src: MetricsSource;
  private readonly responsesByKey = new ResponseCounters();
  private readonly latency = new Map<string, Histogram>();
  private readonly buckets: readonly number[];

  constructor(src: MetricsSource, buckets: readonly number[] = LATENCY_BUCKETS) {
    this.src = src;
    this.buckets = buckets;
  }

  /** Bring in what other threads counted since their last report (none with one worker). */
  sync(): Promise<void> {
    return this.src.sync?.() ?? Promise.resolve();
  }

  /** The counter for (virtual server, pool); keep it and call inc(status) per response. */
  responses(vs: string, pool: string): ResponseCounter {
    return this.responsesByKey.get(vs, pool);
  }

  /** Convenience for callers that do not keep the handle (one map lookup). */
  httpResponse(vs: string, pool: string, status: number): void {
    this.responses(vs, pool).inc(status);
  }

  /** The latency histogram of a pool; keep it and call observe(seconds). */
  poolLatency(pool: string): Histogram {
    let h = this.latency.get(pool);
    if (!h) {
      h = new Histogram(this.buckets);
      this.latency.set(pool, h);
    }
    return h;
  }

  render(now = Date.now()): string {
    const o = new Out();
    const { cluster } = this.src;
    o.family("tcpvs_build_info", "gauge", "Build information; always 1.");
    o.sample("tcpvs_build_info", { version: this.src.version ?? "unknown" }, 1);
    if (this.src.startedAt !== undefined) {
      o.family("tcpvs_process_start_time_seconds", "gauge", "Start time of the process since the epoch.");
      o.sample("tcpvs_process_start_time_seconds", {}, this.src.startedAt / 1000);
    }
    this.renderServers(o, now);
    this.renderPools(o);
    this.renderVrrp(o);
    for (const g of this.src.gauges?.() ?? []) {
      o.family(g.name, "gauge", g.help);
      o.sample(g.name, {}, g.value);
    }
    o.family(
      "tcpvs_events_total",
      "counter",
      "Named event counters (rejects by reason, retries, timeouts ...).",
    );
    for (const [name, v] of cluster.counters) o.sample("tcpvs_events_total", { name }, v);
    renderTlsMetrics(o, cluster.counters, this.src.tlsCertificates?.() ?? []);
    return `${o.lines.join("\n")}\n`;
  }

  private renderServers(o: Out, now: number): void {
    const pools = [...this.src.cluster.pools.values()];
    const each = (
      name: string,
      type: "gauge" | "counter",
      help: string,
      get: (s: (typeof pools)[number]["servers"][number]) => number | undefined,
    ) => {
      o.family(name, type, help);
      for (const p of pools) {
        for (const s of p.servers) {
          const v = get(s);
          if (v !== undefined) o.sample(name, { pool: p.name, server: s.id }, v);
        }
      }
    };
    each("tcpvs_server_up", "gauge", "1 when the server is healthy and enabled.", (s) => (s.up ? 1 : 0));
    each("tcpvs_server_weight", "gauge", "Effective weight (0 when drained or inhibited).", (s) => s.weight);
    each("tcpvs_server_drained", "gauge", "1 when drained by the control channel.", (s) =>
      s.drained ? 1 : 0,
    );
    each("tcpvs_server_current_sessions", "gauge", "Active connections or exchanges.", (s) => s.active);
    each(
      "tcpvs_server_sessions_total",
      "counter",
      "Connections opened to the server.",
      (s) => s.totalConnections,
    );
    each("tcpvs_server_requests_total", "counter", "Requests sent to the server.", (s) => s.requests);
    each("tcpvs_server_errors_total", "counter", "Failed connections or exchanges.", (s) => s.errors);
    each(
      "tcpvs_server_responses_5xx_total",
      "counter",
      "Responses with a 5xx status the server sent.",
      (s) => s.responses5xx,
    );
    each("tcpvs_server_check_status", "gauge", "1 when the last health check passed.", (s) =>
      s.lastCheck ? (s.lastCheck.ok ? 1 : 0) : undefined,
    );
    each("tcpvs_server_check_duration_seconds", "gauge", "Duration of the last health check.", (s) =>
      s.lastCheck ? s.lastCheck.latencyMs / 1000 : undefined,
    );
    each("tcpvs_server_last_status_change_seconds", "gauge", "Seconds since the last up/down change.", (s) =>
      Math.max(0, (now - s.since) / 1000),
    );
  }

  private renderPools(o: Out): void {
    const { cluster } = this.src;
    o.family("tcpvs_pool_quorum_up", "gauge", "1 when the pool meets its quorum.");
    for (const p of cluster.pools.values())
      o.sample("tcpvs_pool_quorum_up", { pool: p.name }, p.quorumUp ? 1 : 0);
    o.family("tcpvs_pool_active_servers", "gauge", "Servers up with a weight above 0.");
    for (const p of cluster.pools.values()) {
      o.sample(
        "tcpvs_pool_active_servers",
        { pool: p.name },
        p.servers.filter((s) => s.up && s.weight > 0).length,
      );
    }
    const sorry = (
      name: string,
      type: "gauge" | "counter",
      help: string,
      get: (s: ServerState) => number,
    ) => {
      o.family(name, type, help);
      for (const p of cluster.pools.values()) if (p.sorry) o.sample(name, { pool: p.name }, get(p.sorry));
    };
    sorry(
      "tcpvs_sorry_server_current_sessions",
      "gauge",
      "The sorry server's active connections.",
      (s) => s.active,
    );
    sorry(
      "tcpvs_sorry_server_requests_total",
      "counter",
      "Requests sent to the sorry server.",
      (s) => s.requests,
    );
    sorry(
      "tcpvs_sorry_server_errors_total",
      "counter",
      "Failed exchanges with the sorry server.",
      (s) => s.errors,
    );
    o.family(
      "tcpvs_http_responses_total",
      "counter",
      "HTTP responses by virtual server, pool and status class.",
    );
    for (const { vs, pool, c } of this.responsesByKey.all()) {
      for (let i = 0; i < CODE_CLASSES.length; i++) {
        o.sample(
          "tcpvs_http_responses_total",
          { virtual_server: vs, pool, code: CODE_CLASSES[i]! },
          c.byClass[i]!,
        );
      }
    }
    const name = "tcpvs_pool_response_time_seconds";
    o.family(name, "histogram", "Time from request sent to response head received, per pool.");
    for (const [pool, h] of this.latency) {
      const cum = h.cumulative();
      for (let i = 0; i < h.bounds.length; i++)
        o.sample(`${name}_bucket`, { pool, le: num(h.bounds[i]!) }, cum[i]!);
      o.sample(`${name}_bucket`, { pool, le: "+Inf" }, cum[cum.length - 1]!);
      o.sample(`${name}_sum`, { pool }, h.sum);
      o.sample(`${name}_count`, { pool }, h.count);
    }
  }

  private renderVrrp(o: Out): void {
    const { cluster } = this.src;
    o.family("tcpvs_vrrp_state", "gauge", "VRRP state: 0 init, 1 backup, 2 master, 3 fault, 4 stop.");
    for (const [instance, v] of cluster.vrrp) {
      o.sample("tcpvs_vrrp_state", { instance }, VRRP_STATE_VALUES[v.state.toLowerCase()] ?? 0);
    }
    o.family("tcpvs_vrrp_priority", "gauge", "Current VRRP priority of this node.");
    for (const [instance, v] of cluster.vrrp) o.sample("tcpvs_vrrp_priority", { instance }, v.priority);
  }
}
