// The reload rule for one VRRP instance (keepalived's reload): what is applied in place, what restarts
// the instance, and how the log names each change.

import { describe, expect, test } from "bun:test";
import { vrrpReloadPlan } from "../../core/vrrp/reload-plan.ts";
import { vrrpDefaults } from "./config.ts";

const base = vrrpDefaults({
  name: "VI_1",
  priority: 150,
  virtual_ipaddress: [{ address: "10.0.0.100", prefix: 24 }],
  track_script: [
    { name: "chk", script: "/bin/true", interval: 1000, timeout: 1000, rise: 1, fall: 1, weight: -60 },
  ],
});

describe("applied in place", () => {
  test("nothing changed: no change, nothing to do", () => {
    expect(vrrpReloadPlan(base, { ...base })).toEqual({
      changes: [],
      wire: false,
      vips: false,
      tracks: false,
    });
  });
  test("priority, preempt, preempt_delay and notify scripts: in place, named old -> new", () => {
    const p = vrrpReloadPlan(base, {
      ...base,
      priority: 90,
      preempt: false,
      preempt_delay: 5000,
      notify_master: "/etc/tcpvs/master.sh",
    });
    expect(p.restart).toBeUndefined();
    expect(p.changes).toEqual([
      "priority 150 -> 90",
      "preempt true -> false",
      "preempt_delay 0 -> 5000",
      'notify_master (unset) -> "/etc/tcpvs/master.sh"',
    ]);
    expect([p.wire, p.vips, p.tracks]).toEqual([false, false, false]);
  });
  test("advert_int and unicast peers reopen the wire end only", () => {
    const p = vrrpReloadPlan(base, { ...base, advert_int: 250, unicast_peer: ["10.0.0.2"] });
    expect(p.restart).toBeUndefined();
    expect(p.wire).toBe(true);
    expect(p.changes).toEqual(["advert_int 1000 -> 250", 'unicast_peer [] -> ["10.0.0.2"]']);
  });
  test("VIPs added and removed: named with + and -, and the advert's list changes too", () => {
    const p = vrrpReloadPlan(base, {
      ...base,
      virtual_ipaddress: [
        { address: "10.0.0.101", prefix: 24 },
        { address: "10.0.0.102", prefix: 32, dev: "eth1" },
      ],
    });
    expect(p.restart).toBeUndefined();
    expect([p.vips, p.wire]).toEqual([true, true]);
    expect(p.changes).toEqual(["virtual_ipaddress +10.0.0.101/24 +10.0.0.102/32 dev eth1 -10.0.0.100/24"]);
    // Reordered only: the same addresses, a new advert.
    const vips = [
      { address: "10.0.0.1", prefix: 24 },
      { address: "10.0.0.100", prefix: 24 },
    ];
    const two = { ...base, virtual_ipaddress: vips };
    const swapped = { ...two, virtual_ipaddress: [...two.virtual_ipaddress].reverse() };
    expect(vrrpReloadPlan(two, swapped)).toMatchObject({
      vips: false,
      wire: true,
      changes: ["virtual_ipaddress reordered"],
    });
  });
  test("tracked items and their weights: named with +, - and ~", () => {
    const p = vrrpReloadPlan(base, {
      ...base,
      track_script: [{ ...base.track_script[0]!, weight: -30 }],
      track_interface: [{ name: "eth1", weight: 0 }],
    });
    expect(p.tracks).toBe(true);
    expect(p.changes).toEqual(["track_interface +eth1", "track_script ~chk"]);
  });
});

describe("restarts the instance", () => {
  test("virtual_router_id, interface or address family: named in the reason", () => {
    expect(vrrpReloadPlan(base, { ...base, virtual_router_id: 52 }).restart).toBe(
      "virtual_router_id changed",
    );
    expect(vrrpReloadPlan(base, { ...base, interface: "eth1" }).restart).toBe("interface changed");
    const v6 = vrrpReloadPlan(base, { ...base, virtual_ipaddress: [{ address: "fd00::100", prefix: 64 }] });
    expect(v6.restart).toBe("address family changed");
    expect(v6.changes).toContain("address family IPv4 -> IPv6");
  });
});
