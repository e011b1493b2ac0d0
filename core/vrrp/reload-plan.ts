// What a reload changes in one running VRRP instance, as keepalived's reload sees it: everything is
// applied in place (the state, and so mastership, is kept) except a new virtual_router_id, interface or
// address family, which are another instance on the wire: only those restart it. Pure, so the rule
// and the names the log gives each change are tested without sockets.

import type { VrrpConfig } from "../config/types.ts";
import { vrrpFamily } from "./validate.ts";

export interface VrrpReloadPlan {
  /** Why the instance must restart (resigning mastership), or undefined when it is updated in place. */
  restart?: string;
  /** Each changed setting as the log names it: "priority 150 -> 90", "virtual_ipaddress +10.0.0.9/24". */
  changes: string[];
  /** The adverts sent or accepted change: reopen the instance's end of the wire. */
  wire: boolean;
  /** The VIP list changed: add and remove addresses (on a master), announce the new ones. */
  vips: boolean;
  /** Tracked items or their weights changed. */
  tracks: boolean;
}

/** Settings that shape adverts (sent or accepted); a change reopens the endpoint, not the instance. */
const WIRE_KEYS = [
  "version",
  "advert_int",
  "unicast_src_ip",
  "unicast_peer",
  "check_unicast_src",
  "auth_pass",
  "v3_checksum_no_pseudo_header",
] as const;

/** Settings applied as they are read (the machine's options, the notify scripts, GARP timing). */
const PLAIN_KEYS = [
  "priority",
  "preempt",
  "preempt_delay",
  "state",
  "sync_group",
  "garp_master_delay",
  "garp_master_repeat",
  "garp_master_refresh",
  "handover_relay",
  "notify_master",
  "notify_backup",
  "notify_fault",
  "notify_stop",
  "notify",
] as const;

const TRACK_KEYS = ["track_interface", "track_script", "track_pool"] as const;

const show = (v: unknown): string => (v === undefined ? "(unset)" : JSON.stringify(v));

const vipText = (v: VrrpConfig["virtual_ipaddress"][number]) =>
  `${v.address}/${v.prefix}${v.dev ? ` dev ${v.dev}` : ""}${v.label ? ` label ${v.label}` : ""}`;

export function vrrpReloadPlan(prev: VrrpConfig, next: VrrpConfig): VrrpReloadPlan {
  const changes: string[] = [];
  const differ = (k: keyof VrrpConfig) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]);
  const note = (k: keyof VrrpConfig) => {
    if (differ(k)) changes.push(`${k} ${show(prev[k])} -> ${show(next[k])}`);
    return differ(k);
  };
  const restartWhy: string[] = [];
  if (note("virtual_router_id")) restartWhy.push("virtual_router_id");
  if (note("interface")) restartWhy.push("interface");
  const [fa, fb] = [vrrpFamily(prev), vrrpFamily(next)];
  if (fa !== fb) {
    changes.push(`address family IPv${fa} -> IPv${fb}`);
    restartWhy.push("address family");
  }
  const wire = WIRE_KEYS.map(note).some(Boolean);
  for (const k of PLAIN_KEYS) note(k);
  const before = new Set(prev.virtual_ipaddress.map(vipText));
  const after = new Set(next.virtual_ipaddress.map(vipText));
  const added = [...after].filter((v) => !before.has(v));
  const removed = [...before].filter((v) => !after.has(v));
  if (added.length || removed.length)
    changes.push(
      `virtual_ipaddress ${[...added.map((v) => `+${v}`), ...removed.map((v) => `-${v}`)].join(" ")}`,
    );
  // The advert lists the addresses too, so a new list (even only reordered) is a wire change.
  const vipOrder = differ("virtual_ipaddress");
  if (vipOrder && added.length === 0 && removed.length === 0) changes.push("virtual_ipaddress reordered");
  let tracks = false;
  for (const k of TRACK_KEYS) {
    if (!differ(k)) continue;
    tracks = true;
    const names = (c: VrrpConfig) =>
      new Map((c[k] as Array<{ name: string; weight: number }>).map((t) => [t.name, JSON.stringify(t)]));
    const [a, b] = [names(prev), names(next)];
    const parts: string[] = [];
    for (const [n, t] of b) if (a.get(n) !== t) parts.push(a.has(n) ? `~${n}` : `+${n}`);
    for (const n of a.keys()) if (!b.has(n)) parts.push(`-${n}`);
    changes.push(`${k} ${parts.join(" ")}`);
  }
  return {
    restart: restartWhy.length ? `${restartWhy.join(", ")} changed` : undefined,
    changes,
    wire: wire || vipOrder,
    vips: added.length > 0 || removed.length > 0,
    tracks,
  };
}
