// A cluster event as the control channel sends it and `status --watch --json` prints it: the JSON
// contract's words (snake_case, `at_ms`, lowercase states), whatever the in-process event calls them.
// docs/schema/event.schema.json describes the result.

import type { ClusterEvent } from "../state/cluster.ts";

export type EventJson =
  | {
      type: "server";
      pool: string;
      server: string;
      up: boolean;
      weight: number;
      reason: string;
      at_ms: number;
    }
  | { type: "pool"; pool: string; quorum_up: boolean; at_ms: number }
  | { type: "vrrp"; instance: string; state: string; priority: number; reason: string; at_ms: number }
  | { type: "reload"; ok: boolean; errors: string[]; pending_restart: string[]; at_ms: number }
  | { type: "action"; action: string; peer: string; detail: Record<string, unknown>; at_ms: number };

export function eventJson(e: ClusterEvent): EventJson {
  switch (e.type) {
    case "server":
      return {
        type: "server",
        pool: e.pool,
        server: e.server,
        up: e.up,
        weight: e.weight,
        reason: e.reason,
        at_ms: e.at,
      };
    case "pool":
      return { type: "pool", pool: e.pool, quorum_up: e.quorum, at_ms: e.at };
    case "vrrp":
      return {
        type: "vrrp",
        instance: e.instance,
        state: e.state.toLowerCase(),
        priority: e.priority,
        reason: e.reason,
        at_ms: e.at,
      };
    case "reload":
      return {
        type: "reload",
        ok: e.ok,
        errors: e.errors ?? [],
        pending_restart: e.pendingRestart ?? [],
        at_ms: e.at,
      };
    case "action": {
      // undefined fields (a vrrp action without a priority) would vanish from JSON anyway: drop them here.
      const detail = Object.fromEntries(Object.entries(e.detail).filter(([, v]) => v !== undefined));
      return { type: "action", action: e.action, peer: e.peer, detail, at_ms: e.at };
    }
  }
}
