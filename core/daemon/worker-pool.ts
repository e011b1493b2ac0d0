// The data path on N Worker threads (`[global] workers` > 1), as the "switch" service of `serve`: the
// main thread keeps the control plane (checks, VRRP, control channel, metrics) and the cluster model;
// each worker runs the same SwitchService over a mirror of it (switch-worker.ts). Counts, rr positions
// and persistence tables are shared memory (core/sched/shared-counts.ts), so the workers schedule as
// one load balancer; server health, drains, weights and quorum go to every worker as one snapshot per
// change; a reload is applied by every worker or, if one refuses, undone on all by the daemon; a worker
// that dies is logged, its share of the counts taken back, the descriptors its accept gates kept closed
// (gate-fds.ts), and replaced. Queues wake across workers through shared memory
// (core/sched/shared-queue.ts); errors on live traffic come here, to the one PassiveHealth, which marks
// servers down for every worker.

import type { TcpvsConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { addMetricsDelta } from "../metrics/metrics-batch.ts";
import type { MetricsRegistry } from "../metrics/metrics-registry.ts";
import { SharedCounts, serverKey } from "../sched/shared-counts.ts";
import { GateFds, MAX_VS } from "../sys/gate-fds.ts";
import { numberOption } from "../sched/options.ts";
import { lblcrWidth, tableWidth } from "../sched/shared-lblcr.ts";
import { persistenceBuffer } from "../sched/shared-persistence.ts";
import { forgetSources, layoutLimits } from "../switch/shared-limits.ts";
import { queueBuffer, SharedQueueWords } from "../sched/shared-queue.ts";
import { type Cluster, SORRY_ID, type ServerState } from "../state/cluster.ts";
import { reconcileCluster } from "../state/from-config.ts";
import { bindTotalsServer } from "../state/shared-server.ts";
import { PassiveHealth } from "../switch/passive-health.ts";
import type { LoadedConfig, Service } from "./service.ts";
import { dumpServers } from "./switch-service.ts";
import type { ClusterInputs, FromWorker, ToWorker, WorkerReport } from "./worker-protocol.ts";
import { dataPathNice } from "../sys/cpu-priority.ts";

export interface WorkerPoolOptions {
  /** Room in shared memory: servers over every reload (default 4096), virtual servers, pools (256). */
  maxServers?: number;
  /** How often workers send their responses and counters (ms, default 250). */
  reportMs?: number;
  /** How long a worker may take to start or reload (ms, default 10000). */
  timeoutMs?: number;
  /** Override where the worker module lives (tests). */
  workerUrl?: string | URL;
  /** The workers' sweep tick (ms, default the switch's 100; tests). */
  tickMs?: number;
}

interface Slot {
  id: number;
  worker: Worker;
  ready: boolean;
  waiters: Array<(m: FromWorker) => boolean>;
  held: WorkerReport["held"];
  spawnedAt: number;
  /** The thread has ended ("close" event). */
  closed: boolean;
}

export function switchWorkerUrl(): string | URL {
  if (Bun.main.startsWith("/$bunfs/")) return "/$bunfs/root/core/daemon/switch-worker.ts";
  return new URL("./switch-worker.ts", import.meta.url);
}

export class WorkerPool implements Service {
  readonly name = "switch";
  readonly size: number;
  readonly counts: SharedCounts;
  /** What each worker's accept gates keep; closed here when a worker dies. */
  readonly gates: GateFds;
  private config: TcpvsConfig;
  private readonly cluster: Cluster;
  private readonly metrics: MetricsRegistry | undefined;
  private readonly log: Logger;
  /** The daemon's own logger: workers' lines carry their own subsystem. */
  private readonly baseLog: Logger;
  private readonly o: Required<Omit<WorkerPoolOptions, "workerUrl" | "tickMs">> &
    Pick<WorkerPoolOptions, "workerUrl" | "tickMs">;
  private readonly slots: Slot[] = [];
  private seq = 0;
  private stopping = false;
  private unsubscribe: (() => void) | undefined;
  private broadcastQueued = false;
  /** Ports worker 0 bound for `port = 0` listeners, by virtual server: the others bind the same. */
  private bound: Record<string, number[]> = {};
  /** Workers replaced after dying, for tests and the log. */
  restarts = 0;
  readonly queueWords: SharedQueueWords;
  /** Passive health over every worker's errors; its `markDown` is the health monitor's. */
  readonly passive: PassiveHealth;
  private passiveTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    config: TcpvsConfig,
    cluster: Cluster,
    metrics: MetricsRegistry | undefined,
    log: Logger,
    size: number,
    o: WorkerPoolOptions = {},
  ) {
    this.config = config;
    this.cluster = cluster;
    this.metrics = metrics;
    this.log = log.child({ subsystem: "workers" });
    this.baseLog = log;
    this.size = size;
    this.o = { maxServers: 4096, reportMs: 250, timeoutMs: 10_000, ...o };
    this.counts = SharedCounts.create({
      maxServers: this.o.maxServers,
      maxVs: MAX_VS,
      maxPools: 256,
      maxWorkers: size,
    });
    this.counts.layout.queues = queueBuffer(this.counts.layout.maxPools, size);
    this.queueWords = new SharedQueueWords(this.counts.layout.queues);
    this.passive = new PassiveHealth(cluster, log.child({ subsystem: "switch" }));
    this.gates = GateFds.create(size);
    this.assignSlots();
  }

  /** Slots for every server, virtual server and pool of the config; main-side servers read totals. */
  private assignSlots(): void {
    const c = this.counts;
    for (const vs of this.config.virtual_server) c.assign("vs", vs.name);
    for (const pool of Object.values(this.config.pool)) {
      c.assign("pools", pool.name);
      const lk = `${pool.name}:${pool.scheduler}`;
      // An lblcr entry holds a bit per server: a reload that grows the pool past the words it has
      // gets a wider table (its sets start afresh, as a new table's do).
      const width = pool.scheduler === "lblcr" ? lblcrWidth(pool.server.length) : 3;
      const have = c.layout.locality[lk];
      if ((pool.scheduler === "lblc" || pool.scheduler === "lblcr") && (!have || tableWidth(have) < width))
        c.layout.locality[lk] = persistenceBuffer(
          numberOption(pool.scheduler_options, "table_size", 65536),
          width,
        );
      if (pool.persistence_timeout > 0 && !c.layout.persistence[pool.name])
        c.layout.persistence[pool.name] = persistenceBuffer(
          numberOption(pool.scheduler_options, "persistence_table_size", 65536),
        );
    }
    layoutLimits(c.layout, this.config.virtual_server);
    for (const [name, pool] of this.cluster.pools) {
      for (const s of pool.servers) this.bindTotals(name, s.id, s);
      if (pool.sorry) this.bindTotals(name, SORRY_ID, pool.sorry);
    }
  }

  private bindTotals(pool: string, id: string, s: ServerState): void {
    const i = this.counts.assign("servers", serverKey(pool, id));
    if (i < 0)
      this.log.warn("no room in shared memory for this server: its counts are not shared", {
        pool,
        server: s.id,
      });
    else bindTotalsServer(this.counts, s, i);
  }

  private inputs(): ClusterInputs {
    const servers: ClusterInputs["servers"] = [];
    const quorum: Record<string, boolean> = {};
    for (const [name, p] of this.cluster.pools) {
      quorum[name] = p.quorumUp;
      for (const s of p.servers)
        servers.push({
          pool: name,
          id: s.id,
          healthy: s.healthy,
          drained: s.drained,
          disabled: s.disabled,
          inhibited: s.inhibited,
          dynamicWeight: s.dynamicWeight,
        });
    }
    return { seq: ++this.seq, servers, quorum };
  }

  /**
   * The config as workers run it: `port = 0` listeners take the port worker 0 got, and max_held_bytes
   * (a bound over every connection) is split between them, each worker holding its own budget.
   */
  private forWorkers(config: TcpvsConfig): TcpvsConfig {
    const held = Math.max(64 * 1024, Math.floor(config.global.max_held_bytes / this.size));
    return {
      ...config,
      global: { ...config.global, max_held_bytes: held },
      virtual_server: config.virtual_server.map((vs) => {
        const ports = this.bound[vs.name];
        if (!ports) return vs;
        return {
          ...vs,
          listen: vs.listen.map((l, i) =>
            l.kind === "inet" && l.port === 0 && ports[i]
              ? { ...l, port: ports[i]!, text: `${l.host}:${ports[i]}` }
              : l,
          ),
        };
      }),
    };
  }

  async start(): Promise<void> {
    // Every decision of the control plane, coalesced per turn of the event loop, to every worker.
    this.unsubscribe = this.cluster.subscribe((e) => {
      if (e.type !== "server" && e.type !== "pool") return;
      if (this.broadcastQueued) return;
      this.broadcastQueued = true;
      queueMicrotask(() => {
        this.broadcastQueued = false;
        // A worker that dies meanwhile gets the state again when it is replaced: nothing to do here.
        this.broadcast().catch(() => {});
      });
    });
    // Servers without checks that passive health marked down come back after their window.
    this.passiveTimer = setInterval(() => this.passive.tick(Date.now()), 100);
    this.passiveTimer.unref?.();
    await this.spawn(0);
    await Promise.all(Array.from({ length: this.size - 1 }, (_, i) => this.spawn(i + 1)));
    this.log.info("data-path workers started", { workers: this.size });
  }

  /** The ports a virtual server is bound to (port 0 in tests becomes a real one). */
  ports(vs: string): number[] {
    return this.bound[vs] ?? [];
  }

  /** Send the control plane's current decisions to every worker; resolves when all applied them. */
  broadcast(): Promise<void> {
    const inputs = this.inputs();
    const acks = this.slots
      .filter((s) => s.ready)
      .map((s) => this.expect(s, (m) => m.type === "applied" && m.seq >= inputs.seq, this.o.timeoutMs));
    for (const s of this.slots) if (s.ready) this.send(s, { type: "inputs", inputs });
    return Promise.all(acks).then(() => {});
  }

  private send(s: Slot, m: ToWorker): void {
    s.worker.postMessage(m);
  }

  private expect(s: Slot, match: (m: FromWorker) => boolean, timeoutMs: number): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        s.waiters = s.waiters.filter((w) => w !== waiter);
        reject(new Error(`Cannot hear from data-path worker ${s.id} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (m: FromWorker) => {
        // A worker that died answers every wait with this: the caller hears it now, not at timeout.
        if (m.type === "error" && m.message.startsWith("died:")) {
          clearTimeout(t);
          reject(new Error(`Data-path worker ${s.id} ${m.message}`));
          return true;
        }
        if (!match(m)) return false;
        clearTimeout(t);
        resolve(m);
        return true;
      };
      s.waiters.push(waiter);
    });
  }

  private async spawn(id: number): Promise<void> {
    const worker = new Worker(this.o.workerUrl ?? switchWorkerUrl());
    const slot: Slot = {
      id,
      worker,
      ready: false,
      waiters: [],
      held: { used: 0, max: 0, waiting: 0 },
      spawnedAt: Date.now(),
      closed: false,
    };
    worker.addEventListener("close", () => {
      slot.closed = true;
    });
    this.slots[id] = slot;
    worker.onmessage = (ev: MessageEvent<FromWorker>) => this.onMessage(slot, ev.data);
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.died(slot, ev.message);
    };
    const started = this.expect(slot, (m) => m.type === "started" || m.type === "error", this.o.timeoutMs);
    const sent = this.config;
    this.send(slot, {
      type: "start",
      id,
      workers: this.size,
      config: this.forWorkers(sent),
      layout: this.counts.layout,
      gates: this.gates.buffer,
      inputs: this.inputs(),
      level: this.log.level,
      format: this.log.format,
      reportMs: this.o.reportMs,
      tickMs: this.o.tickMs,
      nice: dataPathNice(),
    });
    const m = await started.catch((e: unknown) => ({ type: "error" as const, message: String(e) }));
    if (m.type === "error") {
      worker.terminate();
      // Listeners it had bound before failing keep no duplicate behind it.
      await this.ended(slot);
      this.gates.closeFor(id);
      throw new Error(`Cannot start data-path worker ${id}: ${m.message}`);
    }
    if (m.type === "started" && id === 0 && Object.keys(this.bound).length === 0) this.bound = m.ports;
    slot.ready = true;
    // A replacement that started while a reload went to the others catches up with it now.
    if (this.config !== sent) {
      const seq = ++this.seq;
      this.send(slot, {
        type: "reload",
        seq,
        config: this.forWorkers(this.config),
        layout: this.counts.layout,
        inputs: this.inputs(),
      });
    } else this.send(slot, { type: "inputs", inputs: this.inputs() });
  }

  private onMessage(s: Slot, m: FromWorker): void {
    if (m.type === "log") {
      this.baseLog.log(m.level, m.msg, { ...m.fields, worker: s.id });
      return;
    }
    if (m.type === "report") this.absorb(s, m.report);
    if (m.type === "observe-error") {
      this.observed(m.errors);
      return;
    }
    s.waiters = s.waiters.filter((w) => !w(m));
  }

  private absorb(s: Slot, r: WorkerReport): void {
    s.held = r.held;
    for (const [name, d] of r.counters) this.cluster.count(name, d);
    // A worker's own cluster counted these for its virtual servers: the totals are kept here. A cut
    // response counts as a request, not by its status (as in the metrics).
    for (const [vs, , byClass] of r.responses) {
      let n = 0;
      for (const x of byClass) n += x;
      const fives = byClass[5] ?? 0;
      if (n > fives) this.cluster.countResponses(vs, 200, n - fives);
      if (fives > 0) this.cluster.countResponses(vs, 500, fives);
    }
    if (this.metrics) addMetricsDelta(this.metrics, r);
  }

  /** Errors a worker saw on live traffic, counted as if this thread had seen them. */
  private observed(errors: Array<[pool: string, server: string, at: number]>): void {
    for (const [pool, id, at] of errors) {
      const o = this.config.pool[pool]?.observe;
      const s = this.cluster.pools.get(pool)?.server(id);
      if (o !== undefined && s !== undefined) this.passive.error(s, o, at);
    }
  }

  /** A worker ended by an uncaught error: log it, take its counts back, start another in its place. */
  private died(s: Slot, message: string): void {
    if (this.slots[s.id] !== s) return;
    s.ready = false;
    s.worker.terminate();
    this.counts.forget(s.id);
    forgetSources(this.counts.layout, s.id);
    this.queueWords.forget(s.id);
    // Its slots are free now: workers paused at a shared max_connections look again.
    this.gates.freed();
    for (const w of s.waiters) w({ type: "error", message: `died: ${message}` });
    s.waiters = [];
    if (this.stopping) return;
    this.restarts++;
    this.log.error("data-path worker died: replacing it", { worker: s.id, error: message });
    // One that dies within a second of its start is not restarted in a tight loop.
    const wait = Date.now() - s.spawnedAt < 1000 ? 1000 : 0;
    void this.ended(s).then(() => {
      // Bun closed the listening sockets it knew with the worker's loop; the duplicates its gates kept
      // would keep each socket in the port's group, queueing connections no one accepts.
      const closed = this.gates.closeFor(s.id);
      if (closed > 0)
        this.log.info("closed a dead worker's accept-gate descriptors", { worker: s.id, closed });
      setTimeout(() => {
        if (this.stopping) return;
        this.spawn(s.id).catch((e: unknown) =>
          this.log.error("Cannot replace data-path worker", { worker: s.id, error: String(e) }),
        );
      }, wait);
    });
  }

  /**
   * Resolves once a terminated worker's thread has ended (its "close" event), so nothing of it can
   * still use a descriptor the main thread closes; at most 2 s.
   */
  private ended(s: Slot): Promise<void> {
    return new Promise((resolve) => {
      if (s.closed) return resolve();
      const t = setTimeout(resolve, 2000);
      s.worker.addEventListener("close", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /**
   * Ask every worker for its report now and take them in, so `tcpvs status` and a scrape show counters
   * and responses up to this moment rather than up to the last periodic report. Bounded: a worker
   * that does not answer within 500 ms is left out of this one.
   */
  async flush(): Promise<void> {
    const live = this.slots.filter((s) => s.ready);
    const got = live.map((s) => this.expect(s, (m) => m.type === "report", 500).catch(() => undefined));
    for (const s of live) this.send(s, { type: "report" });
    await Promise.all(got);
  }

  /** Test hook (never reached from the control channel or config): make worker `id` throw. */
  injectFault(id: number): void {
    const s = this.slots[id];
    if (s) this.send(s, { type: "fault" });
  }

  /** Whether every worker is up (a replacement has started). */
  get allReady(): boolean {
    return this.slots.length === this.size && this.slots.every((s) => s.ready);
  }

  async reload(next: LoadedConfig): Promise<void> {
    reconcileCluster(this.cluster, next.config);
    this.config = next.config;
    this.assignSlots();
    const seq = ++this.seq;
    const inputs = this.inputs();
    const config = this.forWorkers(next.config);
    const ready = this.slots.filter((s) => s.ready);
    const done = ready.map((s) =>
      this.expect(s, (m) => m.type === "reloaded" && m.seq === seq, this.o.timeoutMs),
    );
    for (const s of ready) this.send(s, { type: "reload", seq, config, layout: this.counts.layout, inputs });
    const errors: string[] = [];
    for (const r of await Promise.allSettled(done)) {
      if (r.status === "rejected") errors.push(String(r.reason));
      else if (r.value.type === "reloaded" && r.value.error) errors.push(r.value.error);
    }
    if (errors.length) throw new Error(errors[0]);
  }

  /** Stop every worker's listeners now; requests in flight get graceMs; a second call with 0 cuts them. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    clearInterval(this.passiveTimer);
    const live = this.slots.filter((s) => s.ready);
    const done = live.map((s) =>
      this.expect(s, (m) => m.type === "stopped" || m.type === "error", graceMs + this.o.timeoutMs).catch(
        () => undefined,
      ),
    );
    for (const s of live) this.send(s, { type: "stop", graceMs });
    await Promise.all(done);
    for (const s of live) {
      s.ready = false;
      s.worker.terminate();
    }
    // A worker that stopped restored its gates; one that did not answer leaves them to close here.
    await Promise.all(live.map((s) => this.ended(s)));
    for (const s of live) this.gates.closeFor(s.id);
  }

  /** `tcpvs status --json` `workers`: each one's client connections now, requests sent and queued. */
  workers(): Array<{ id: number; connections: number; requests: number; queued: number }> {
    return this.slots.map((s) => ({
      id: s.id,
      ...this.counts.workerTotals(s.id),
      queued: this.queueWords.queued(s.id),
    }));
  }

  /** Held bytes over every worker, as of their last reports. */
  private heldTotals(): { used: number; waiting: number } {
    let used = 0;
    let waiting = 0;
    for (const s of this.slots) {
      used += s.held.used;
      waiting += s.held.waiting;
    }
    return { used, waiting };
  }

  /** Held bytes over every worker (the metrics' gauges). */
  gauges(): Array<{ name: string; help: string; value: number }> {
    const { used, waiting } = this.heldTotals();
    return [
      {
        name: "tcpvs_held_bytes",
        help: "Request bytes held before forwarding, all connections.",
        value: used,
      },
      {
        name: "tcpvs_held_waiting_connections",
        help: "Client connections not read until held bytes free up.",
        value: waiting,
      },
      { name: "tcpvs_workers", help: "Data-path workers ([global] workers).", value: this.size },
    ];
  }

  dump(): void {
    dumpServers(this.cluster, this.log);
    for (const w of this.workers()) this.log.info("state worker", { ...w });
    // As with one worker: the process's budget; each worker holds within its share of it.
    const { used, waiting } = this.heldTotals();
    this.log.info("state held", {
      held_bytes: used,
      max_held_bytes: this.config.global.max_held_bytes,
      waiting,
      per_worker: this.forWorkers(this.config).global.max_held_bytes,
    });
  }
}
