// What a reload changed, in one line for the log and the `status reload` answer, and what in the file
// still waits for a restart (the control and metrics sockets, the logger, VRRP instances).

import type { TcpvsConfig } from "../config/types.ts";
import { restartOnlyChanges } from "./restart-only-changes.ts";

interface Diff {
  added: string[];
  removed: string[];
  changed: string[];
}

function diff<T>(prev: Map<string, T>, next: Map<string, T>): Diff {
  const d: Diff = { added: [], removed: [], changed: [] };
  for (const [k, v] of next) {
    if (!prev.has(k)) d.added.push(k);
    else if (JSON.stringify(prev.get(k)) !== JSON.stringify(v)) d.changed.push(k);
  }
  for (const k of prev.keys()) if (!next.has(k)) d.removed.push(k);
  return d;
}

function words(what: string, d: Diff): string | undefined {
  const parts = [
    d.added.length ? `${d.added.join(", ")} added` : "",
    d.removed.length ? `${d.removed.join(", ")} removed` : "",
    d.changed.length ? `${d.changed.join(", ")} changed` : "",
  ].filter(Boolean);
  return parts.length ? `${what} ${parts.join("; ")}` : undefined;
}

/** The servers of every pool, keyed "pool/server", without the pool's other settings. */
function servers(c: TcpvsConfig): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const p of Object.values(c.pool)) for (const s of p.server) out.set(`${p.name}/${s.name}`, s);
  return out;
}

/** Pools by name, their servers left out (those are told apart, one by one). */
function pools(c: TcpvsConfig): Map<string, unknown> {
  return new Map(Object.values(c.pool).map((p) => [p.name, { ...p, server: undefined }]));
}

/** "virtual servers api added; pools app changed; servers app/c added, app/a removed", or "no changes". */
export function reloadSummary(prev: TcpvsConfig, next: TcpvsConfig): string {
  const parts = [
    words(
      "virtual servers",
      diff(
        new Map(prev.virtual_server.map((v) => [v.name, v])),
        new Map(next.virtual_server.map((v) => [v.name, v])),
      ),
    ),
    words("pools", diff(pools(prev), pools(next))),
    words("servers", diff(servers(prev), servers(next))),
  ].filter((p): p is string => p !== undefined);
  return parts.length ? parts.join("; ") : "no changes to virtual servers, pools or servers";
}

/**
 * What differs between the config the process started with and the file now, among the settings only
 * a restart applies: [global] sockets and logging by key, VRRP instances as `vrrp.NAME`.
 */
export function pendingRestart(started: TcpvsConfig, now: TcpvsConfig): string[] {
  const out = restartOnlyChanges(started.global, now.global);
  const d = diff(new Map(Object.entries(started.vrrp)), new Map(Object.entries(now.vrrp)));
  for (const n of [...d.added, ...d.removed, ...d.changed]) out.push(`vrrp.${n}`);
  return out;
}
