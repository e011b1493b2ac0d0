// The messages between the main thread (worker-pool.ts: the control plane) and each data-path worker
// (switch-worker.ts). The config travels by structured clone; the counts and tables live in shared
// memory (core/sched/shared-counts.ts); everything the control plane decides about servers travels as
// a full snapshot of their inputs, so a message lost to a worker's restart is repaired by the next.

import type { TcpvsConfig } from "../config/types.ts";
import type { LogFields, LogFormat, LogLevel } from "../log/logger.ts";
import type { MetricsDelta } from "../metrics/metrics-batch.ts";
import type { SharedLayout } from "../sched/shared-counts.ts";

/** What the control plane decides about one server (health, operator actions, quorum inhibition). */
export interface ServerInputs {
  pool: string;
  id: string;
  healthy: boolean;
  drained: boolean;
  disabled: boolean;
  inhibited: boolean;
  dynamicWeight: number | undefined;
}

export interface ClusterInputs {
  /** Increases with every snapshot; a worker acknowledges the last one it applied. */
  seq: number;
  servers: ServerInputs[];
  quorum: Record<string, boolean>;
}

export type ToWorker =
  | {
      type: "start";
      id: number;
      /** How many workers share the process (its descriptor ceiling). */
      workers: number;
      config: TcpvsConfig;
      layout: SharedLayout;
      /** The descriptors each worker's accept gates keep, and the slot-freed word (gate-fds.ts). */
      gates: SharedArrayBuffer;
      inputs: ClusterInputs;
      level: LogLevel;
      format: LogFormat;
      reportMs: number;
      /** The switch's sweep tick (ms; tests lengthen it to show nothing waits for it). */
      tickMs?: number;
      /** The nice value the worker's thread takes (core/sys/cpu-priority.ts). */
      nice: number;
    }
  | { type: "inputs"; inputs: ClusterInputs }
  | { type: "reload"; seq: number; config: TcpvsConfig; layout: SharedLayout; inputs: ClusterInputs }
  | { type: "stop"; graceMs: number }
  /** Send a report now (a status query or a scrape is waiting for it). */
  | { type: "report" }
  /** Tests only (WorkerPool.injectFault): throw an uncaught error on the worker's event loop. */
  | { type: "fault" };

/** Since the last report: responses by class and latency buckets (MetricsDelta), named counters; held bytes now. */
export interface WorkerReport extends MetricsDelta {
  counters: Array<[name: string, delta: number]>;
  held: { used: number; max: number; waiting: number };
}

export type FromWorker =
  | { type: "started"; ports: Record<string, number[]> }
  | { type: "error"; message: string }
  | { type: "applied"; seq: number }
  | { type: "reloaded"; seq: number; error?: string }
  | { type: "stopped" }
  | { type: "log"; level: LogLevel; msg: string; fields?: LogFields }
  | { type: "report"; report: WorkerReport }
  /** Errors on live traffic (passive health), counted by the main thread over every worker. */
  | { type: "observe-error"; errors: Array<[pool: string, server: string, at: number]> };
