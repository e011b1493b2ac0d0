// Main-thread side of the VRRP Worker: start it with the config's instances, forward pool quorum and
// operator actions, receive state changes, drops and log lines. `tcpvs serve` uses this; `tcpvs vrrp`
// runs the instances on its main thread instead (cmd/vrrp.ts).
//
// Packaging: the worker is a separate module, so the compiled binary must name it as an extra
// entrypoint: `bun build --compile cmd/main.ts core/vrrp/worker.ts --outfile dist/tcpvs`.

import type { VrrpConfig } from "../config/types.ts";
import type { Logger, LogLevel } from "../log/logger.ts";
import type { VrrpStateReport } from "./instance.ts";
import type { DropReason } from "./packet.ts";
import { TcpvsError, type TcpvsErrorCode } from "../errors/tcpvs-error.ts";

export type HostToWorker =
  | {
      type: "start";
      vrrp: Record<string, VrrpConfig>;
      level: LogLevel;
      scriptUser?: string;
      graceMs?: number;
    }
  | { type: "pool_quorum"; pool: string; ok: boolean }
  | { type: "hold"; instance: string; on: boolean }
  | { type: "adjust_priority"; instance: string; delta: number }
  | { type: "reload"; vrrp: Record<string, VrrpConfig>; scriptUser?: string; graceMs?: number }
  /** With `drain`, VIPs a peer took over stay hidden until "release" (VrrpManager.stop). */
  | { type: "stop"; drain?: boolean }
  | { type: "release" };

export type WorkerToHost =
  | { type: "started" }
  | { type: "reloaded" }
  | { type: "error"; message: string; code?: TcpvsErrorCode }
  | { type: "state"; report: VrrpStateReport }
  | { type: "drop"; instance: string; reason: DropReason }
  | { type: "log"; line: string }
  | { type: "stopped"; drops: Record<string, Record<string, number>> }
  | { type: "released" };

export class VrrpWorkerError extends TcpvsError {
  /** The code of the error the worker threw, or vrrp_worker_failed/vrrp_worker_timeout. */
  constructor(message: string, code: TcpvsErrorCode = "vrrp_worker_failed") {
    super(code, message);
    this.name = "VrrpWorkerError";
  }
}

export interface VrrpHostOptions {
  log: Logger;
  onState?: (r: VrrpStateReport) => void;
  onDrop?: (instance: string, reason: DropReason) => void;
  /** Override where the worker module lives (tests). */
  workerUrl?: string | URL;
  /** [global] script_user: the worker runs track and notify scripts as this user. */
  scriptUser?: string;
  /** How long start() and stop() may take. */
  timeoutMs?: number;
  /** [global] grace: bounds the handover relay and a drain's hidden VIPs. */
  graceMs?: number;
}

export class VrrpHost {
  private readonly worker: Worker;
  private readonly o: VrrpHostOptions;
  private waiters: Array<(m: WorkerToHost) => boolean> = [];

  private constructor(o: VrrpHostOptions) {
    this.o = o;
    this.worker = new Worker(o.workerUrl ?? workerUrl());
    this.worker.onmessage = (ev: MessageEvent<WorkerToHost>) => this.onMessage(ev.data);
    this.worker.onerror = (ev) => {
      const msg = `VRRP worker failed: ${ev.message}`;
      o.log.error(msg);
      this.resolveWaiters({ type: "error", message: msg, code: "vrrp_worker_failed" });
    };
  }

  /** Start the worker and its instances; rejects with the instance's error (bad interface ...). */
  static async start(vrrp: Record<string, VrrpConfig>, o: VrrpHostOptions): Promise<VrrpHost> {
    const h = new VrrpHost(o);
    const reply = h.expect((m) => m.type === "started" || m.type === "error");
    h.send({ type: "start", vrrp, level: o.log.level, scriptUser: o.scriptUser, graceMs: o.graceMs });
    const m = await reply;
    if (m.type === "error") {
      h.worker.terminate();
      throw new VrrpWorkerError(m.message, m.code);
    }
    return h;
  }

  setPoolQuorum(pool: string, ok: boolean): void {
    this.send({ type: "pool_quorum", pool, ok });
  }

  /** Operator "force backup" (on) and its release. */
  hold(instance: string, on: boolean): void {
    this.send({ type: "hold", instance, on });
  }

  /** Operator "lower priority" (negative delta); 0 removes the adjustment. */
  adjustPriority(instance: string, delta: number): void {
    this.send({ type: "adjust_priority", instance, delta });
  }

  /**
   * A reload's instances, applied in place by the worker (VrrpManager.reload); rejects with the error
   * that refused them. `waitMs` covers instances that restart (each hands over first).
   */
  async reload(
    vrrp: Record<string, VrrpConfig>,
    waitMs: number,
    scriptUser?: string,
    graceMs?: number,
  ): Promise<void> {
    const reply = this.expect((m) => m.type === "reloaded" || m.type === "error", waitMs);
    this.send({ type: "reload", vrrp, scriptUser, graceMs });
    const m = await reply;
    if (m.type === "error") throw new VrrpWorkerError(m.message, m.code);
  }

  /**
   * Hand over (masters advertise priority 0 and keep their VIPs until a peer is master, at most
   * `handoverMs`), then end the worker. Returns drops by reason. With `drain` the worker lives on with
   * the VIPs a peer took over hidden, for the caller's connections on them, until release().
   */
  async stop(handoverMs = 0, o: { drain?: boolean } = {}): Promise<Record<string, Record<string, number>>> {
    const reply = this.expect((m) => m.type === "stopped" || m.type === "error", handoverMs);
    this.send({ type: "stop", drain: o.drain });
    const m = await reply.catch((e: unknown) => ({ type: "error", message: String(e) }) as WorkerToHost);
    if (!o.drain || m.type !== "stopped") this.worker.terminate();
    return m.type === "stopped" ? m.drops : {};
  }

  /** After stop({ drain: true }): the drain is over; hidden VIPs go, then the worker ends. */
  async release(): Promise<void> {
    const reply = this.expect((m) => m.type === "released" || m.type === "error");
    this.send({ type: "release" });
    await reply.catch(() => undefined);
    this.worker.terminate();
  }

  private send(m: HostToWorker): void {
    this.worker.postMessage(m);
  }

  /** The next message `pred` accepts, within timeoutMs plus `extraMs`. */
  private expect(pred: (m: WorkerToHost) => boolean, extraMs = 0): Promise<WorkerToHost> {
    const ms = (this.o.timeoutMs ?? 10_000) + extraMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(
          new VrrpWorkerError(`Check the VRRP worker: no answer within ${ms} ms`, "vrrp_worker_timeout"),
        );
      }, ms);
      const check = (m: WorkerToHost) => {
        if (!pred(m)) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      };
      this.waiters.push(check);
    });
  }

  private resolveWaiters(m: WorkerToHost): void {
    this.waiters = this.waiters.filter((w) => !w(m));
  }

  private onMessage(m: WorkerToHost): void {
    switch (m.type) {
      case "log":
        reemit(this.o.log, m.line);
        break;
      case "state":
        this.o.onState?.(m.report);
        break;
      case "drop":
        this.o.onDrop?.(m.instance, m.reason);
        break;
      default:
        break;
    }
    this.resolveWaiters(m);
  }
}

function reemit(log: Logger, line: string): void {
  try {
    const { level, msg, time: _time, ...fields } = JSON.parse(line) as Record<string, unknown>;
    log.log((level as LogLevel) ?? "info", String(msg), fields);
  } catch {
    log.info(line.trim());
  }
}

/**
 * In a compiled binary each extra entrypoint lives in the embedded file system under its path relative
 * to the entrypoints' common root (the project directory for `cmd/main.ts core/vrrp/worker.ts`).
 * Bun.main tells a compiled binary apart; import.meta.url does not (with --bytecode it still names the
 * source file, which would quietly load the worker from the build machine's checkout).
 */
export function workerUrl(): string | URL {
  if (Bun.main.startsWith("/$bunfs/")) return "/$bunfs/root/core/vrrp/worker.ts";
  return new URL("./worker.ts", import.meta.url);
}
