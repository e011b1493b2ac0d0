// The daemon side of the protocol without sockets: takes a parsed request from a named peer, reads or
// steers the cluster, calls the injected actions, logs and emits every action. The socket server and
// the tests drive this the same way.

import { log as defaultLog, type Logger } from "../log/logger.ts";
import type { CheckResult, Cluster, ServerState, VrrpOperatorState } from "../state/cluster.ts";
import { ControlError } from "./control-error.ts";
import { type ControlRequest, PROTOCOL_VERSION, type VrrpAction } from "./protocol.ts";
import { buildSnapshot, checkSnapshot, type DaemonDescription, serverState } from "./snapshot.ts";

/** What every action answers (docs/schema/action.schema.json): `message` is what a person reads. */
export interface ActionResult {
  ok: boolean;
  action: string;
  message: string;
  [key: string]: unknown;
}

/** What a peer may do: `admin` everything, `read` only status and watch (control_group members). */
export type AccessLevel = "admin" | "read";

const READ_METHODS = new Set(["status", "subscribe", "unsubscribe"]);

export interface ControlActions {
  /** Re-read and apply the config; validation errors come back, nothing changes then. */
  reload(): Promise<{ ok: boolean; errors?: string[]; pendingRestart?: string[]; changes?: string }>;
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
  async handle(req: ControlRequest, peer: string, level: AccessLevel = "admin"): Promise<unknown> {
    if (level === "read" && !READ_METHODS.has(req.method)) {
      this.logger.warn("control action refused: the peer may only read", { action: req.method, peer });
      throw new ControlError(
        "read_only",
        `Cannot ${req.method}: this account may only read the status (control_group); act as root or the daemon's owner`,
      );
    }
    switch (req.method) {
      case "status":
        await this.p.sync?.();
        return buildSnapshot(this.p.cluster, this.p.describe(), PROTOCOL_VERSION, this.now());
      case "subscribe":
      case "unsubscribe":
        return {};
      case "drain":
        return this.steer(req, peer, (s, now) => {
          if (!s.drained) s.drainedAt = now;
          s.drained = true;
        });
      case "enable":
        return this.steer(req, peer, (s) => {
          s.drained = false;
          s.disabled = false;
          s.drainedAt = undefined;
          s.disabledAt = undefined;
        });
      case "disable":
        return this.steer(req, peer, (s, now) => {
          if (!s.disabled) s.disabledAt = now;
          s.disabled = true;
        });
      case "weight":
        return this.steer(req, peer, (s, now) => {
          s.dynamicWeight = req.weight;
          s.weightSource = "operator";
          s.weightSetAt = now;
        });
      case "check": {
        this.server(req.pool, req.server);
        const fn = this.action("checkNow");
        this.record("check", peer, { pool: req.pool, server: req.server });
        const c = await fn(req.pool, req.server);
        const s = this.server(req.pool, req.server);
        return {
          ok: c.ok,
          action: "check",
          message: `${req.pool}/${req.server}: check ${c.ok ? "passed" : "failed"}: ${c.reason}`,
          pool: req.pool,
          server: req.server,
          state: serverState(s),
          check: checkSnapshot(c),
        } satisfies ActionResult;
      }
      case "reload": {
        const fn = this.action("reload");
        this.record("reload", peer, {});
        const r = await fn();
        const at = this.now();
        const pending = r.pendingRestart ?? [];
        this.p.cluster.emit(
          r.ok
            ? { type: "reload", ok: true, at, pendingRestart: pending }
            : { type: "reload", ok: false, errors: r.errors ?? [], at },
        );
        if (!r.ok) this.logger.warn("reload refused", { peer, errors: r.errors ?? [] });
        const message = !r.ok
          ? "reload refused: the running config stays"
          : pending.length
            ? `reloaded, but these settings wait for a restart: ${pending.join(", ")}`
            : `reloaded${r.changes ? `: ${r.changes}` : ""}`;
        // A reload that leaves part of the file unapplied is not a full success: scripts exit 1 on it.
        return {
          ok: r.ok && pending.length === 0,
          action: "reload",
          message,
          applied: r.ok,
          changes: r.changes ?? "",
          pending_restart: pending,
          errors: (r.errors ?? []).map((m) => ({ message: m })),
        } satisfies ActionResult;
      }
      case "vrrp": {
        if (!this.p.cluster.vrrp.has(req.instance)) {
          throw new ControlError("not_found", `Name a known VRRP instance; "${req.instance}" is not one`);
        }
        const fn = this.action("vrrp");
        this.record("vrrp", peer, { instance: req.instance, action: req.action, priority: req.priority });
        const r = await fn(req.instance, req.action, req.priority);
        if (!r.ok) throw new ControlError("action_failed", r.message ?? `VRRP ${req.action} failed`);
        const op = this.noteVrrp(req.instance, req.action, req.priority);
        return {
          ok: true,
          action: "vrrp",
          message: r.message ?? `${req.instance} ${req.action}`,
          instance: req.instance,
          vrrp_action: req.action,
          held: op.held,
          operator_priority: op.priority ?? null,
        } satisfies ActionResult;
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
    change: (s: ServerState, now: number) => void,
  ): ActionResult {
    this.server(req.pool, req.server);
    const detail: Record<string, unknown> = { pool: req.pool, server: req.server };
    if (req.weight !== undefined) detail["weight"] = req.weight;
    this.record(req.method, peer, detail);
    const now = this.now();
    this.p.cluster.updateServer(req.pool, req.server, (s) => change(s, now), `${req.method} by ${peer}`, now);
    const s = this.server(req.pool, req.server);
    const state = serverState(s);
    return {
      ok: true,
      action: req.method,
      message: `${req.pool}/${req.server} ${state}, weight ${s.weight}`,
      pool: req.pool,
      server: req.server,
      state,
      weight: s.weight,
    };
  }

  /** Remember what the operator did to an instance, so status shows a hold or a priority set by hand. */
  private noteVrrp(instance: string, action: string, priority?: number): VrrpOperatorState {
    const now = this.now();
    const prev = this.p.cluster.vrrpOperator.get(instance) ?? { held: false };
    const next: VrrpOperatorState =
      action === "backup"
        ? { ...prev, held: true, heldAt: prev.held ? prev.heldAt : now }
        : action === "normal"
          ? { held: false }
          : { ...prev, priority, priorityAt: now };
    this.p.cluster.vrrpOperator.set(instance, next);
    return next;
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
