// The daemon side of the protocol without sockets: takes a parsed request from a named peer, reads or
// steers the cluster, calls the injected actions, logs and emits every action. The socket server and
// the tests drive this the same way.

import { log as defaultLog, type Logger } from "../log/logger.ts";
import type { CheckResult, Cluster, ServerState } from "../state/cluster.ts";
import { ControlError } from "./ControlError.ts";
import { type ControlRequest, PROTOCOL_VERSION, type VrrpAction } from "./protocol.ts";
import { buildSnapshot, type DaemonDescription } from "./snapshot.ts";

export interface ControlActions {
  /** Re-read and apply the config; validation errors come back, nothing changes then. */
  reload(): Promise<{ ok: boolean; errors?: string[] }>;
  /** Run the server's checks now and return the result. */
  checkNow(pool: string, server: string): Promise<CheckResult>;
  /** VRRP maintenance: force backup, back to normal, or set a priority. */
  vrrp(instance: string, action: VrrpAction, priority?: number): Promise<{ ok: boolean; message?: string }>;
}

export interface ControlProvider {
  cluster: Cluster;
  describe(): DaemonDescription;
  /** Bring in figures kept elsewhere (data-path workers' reports) before a status snapshot. */
  sync?(): Promise<void>;
  /** Absent actions answer "unavailable" (e.g. `tcpvs vrrp` has no reload of pools). */
  actions?: Partial<ControlActions>;
  logger?: Logger;
  now?: () => number;
}

export class ControlHandler {
  private readonly p: ControlProvider;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(provider: ControlProvider) {
    this.p = provider;
    this.logger = (provider.logger ?? defaultLog).child({ subsystem: "control" });
    this.now = provider.now ?? Date.now;
  }

  /** Answer one request; subscribe/unsubscribe are the caller's business and answer `{}` here. */
  async handle(req: ControlRequest, peer: string): Promise<unknown> {
    switch (req.method) {
      case "status":
        await this.p.sync?.();
        return buildSnapshot(this.p.cluster, this.p.describe(), PROTOCOL_VERSION, this.now());
      case "subscribe":
      case "unsubscribe":
        return {};
      case "drain":
        return this.steer(req, peer, (s) => {
          s.drained = true;
        });
      case "enable":
        return this.steer(req, peer, (s) => {
          s.drained = false;
          s.disabled = false;
        });
      case "disable":
        return this.steer(req, peer, (s) => {
          s.disabled = true;
        });
      case "weight":
        return this.steer(req, peer, (s) => {
          s.dynamicWeight = req.weight;
        });
      case "check": {
        this.server(req.pool, req.server);
        const fn = this.action("checkNow");
        this.record("check", peer, { pool: req.pool, server: req.server });
        return fn(req.pool, req.server);
      }
      case "reload": {
        const fn = this.action("reload");
        this.record("reload", peer, {});
        const r = await fn();
        const at = this.now();
        this.p.cluster.emit(
          r.ok ? { type: "reload", ok: true, at } : { type: "reload", ok: false, errors: r.errors ?? [], at },
        );
        if (!r.ok) this.logger.warn("reload refused", { peer, errors: r.errors ?? [] });
        return { ok: r.ok, errors: r.errors ?? [] };
      }
      case "vrrp": {
        if (!this.p.cluster.vrrp.has(req.instance)) {
          throw new ControlError("not_found", `Name a known VRRP instance; "${req.instance}" is not one`);
        }
        const fn = this.action("vrrp");
        this.record("vrrp", peer, { instance: req.instance, action: req.action, priority: req.priority });
        const r = await fn(req.instance, req.action, req.priority);
        if (!r.ok) throw new ControlError("action_failed", r.message ?? `VRRP ${req.action} failed`);
        return r;
      }
    }
  }

  private server(pool: string, id: string): ServerState {
    const p = this.p.cluster.pools.get(pool);
    if (!p) throw new ControlError("not_found", `Name a known pool; "${pool}" is not one`);
    const s = p.server(id);
    if (!s) throw new ControlError("not_found", `Name a server of pool "${pool}"; "${id}" is not one`);
    return s;
  }

  private steer(
    req: { method: string; pool: string; server: string; weight?: number },
    peer: string,
    change: (s: ServerState) => void,
  ): { up: boolean; weight: number } {
    this.server(req.pool, req.server);
    const detail: Record<string, unknown> = { pool: req.pool, server: req.server };
    if (req.weight !== undefined) detail["weight"] = req.weight;
    this.record(req.method, peer, detail);
    const now = this.now();
    this.p.cluster.updateServer(req.pool, req.server, change, `${req.method} by ${peer}`, now);
    const s = this.server(req.pool, req.server);
    return { up: s.up, weight: s.weight };
  }

  private action<K extends keyof ControlActions>(name: K): ControlActions[K] {
    const fn = this.p.actions?.[name];
    if (!fn) throw new ControlError("unavailable", `This daemon cannot ${name}: no handler is wired`);
    return fn as ControlActions[K];
  }

  private record(action: string, peer: string, detail: Record<string, unknown>): void {
    this.logger.info("control action", { action, peer, ...detail });
    this.p.cluster.emit({ type: "action", action, peer, detail, at: this.now() });
  }
}
