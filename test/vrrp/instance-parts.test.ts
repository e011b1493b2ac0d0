// The pieces split out of VrrpInstance that need no sockets: the receive-side checks with their drop
// counters, and the state reporter's bookkeeping of what it last told.

import { describe, expect, test } from "bun:test";
import { memoryLogger } from "../../core/log/logger.ts";
import type { Received } from "../../core/vrrp/socket4.ts";
import { AdvertCheck } from "../../core/vrrp/advert-check.ts";
import type { VrrpFsm, VrrpState } from "../../core/vrrp/fsm.ts";
import type { DropReason } from "../../core/vrrp/packet.ts";
import { StateReporter, type VrrpStateReport } from "../../core/vrrp/state-reporter.ts";
import { ipBytes, KA_V3_PRIO150, VIPS4 } from "./captures.ts";
import { vrrpDefaults } from "./config.ts";

// keepalived's v3 advert, VRID 53, priority 150, from 10.99.0.1 to 224.0.0.18.
const packet = () => ipBytes(KA_V3_PRIO150);
const VIPS = VIPS4.map((address) => ({ address, prefix: 24 }));

function checker(extra: Parameters<typeof vrrpDefaults>[0], ifindex = 2) {
  const cfg = vrrpDefaults({ virtual_router_id: 53, virtual_ipaddress: VIPS, ...extra });
  const told: Array<[string, DropReason]> = [];
  const { logger } = memoryLogger();
  const check = new AdvertCheck(cfg, ifindex, (i, r) => told.push([i, r]), logger);
  return { check, told };
}
const rx = (ifindex = 2): Received => ({ packet: packet(), ifindex });

describe("AdvertCheck", () => {
  test("accepts a valid advert and counts nothing", () => {
    const { check, told } = checker({ name: "VI" });
    const v = check.accept(rx(), "10.99.0.2");
    expect(v?.advert.priority).toBe(150);
    expect(v?.src).toBe("10.99.0.1");
    expect(check.drops.size).toBe(0);
    expect(told).toEqual([]);
  });

  test("counts each drop per reason and tells it with the instance name", () => {
    const { check, told } = checker({ name: "VI" });
    expect(check.accept(rx(), "10.99.0.1")).toBeUndefined();
    expect(check.accept(rx(), "10.99.0.1")).toBeUndefined();
    expect(check.accept(rx(7), "10.99.0.2")).toBeUndefined();
    expect(Object.fromEntries(check.drops)).toEqual({ own: 2, interface: 1 });
    expect(told).toEqual([
      ["VI", "own"],
      ["VI", "own"],
      ["VI", "interface"],
    ]);
  });

  test("check_unicast_src turns away sources that are not peers, only when peers are set", () => {
    const strict = checker({ name: "VI", check_unicast_src: true, unicast_peer: ["10.99.0.3"] });
    expect(strict.check.accept(rx(), "10.99.0.2")).toBeUndefined();
    expect(Object.fromEntries(strict.check.drops)).toEqual({ peer: 1 });
    const open = checker({ name: "VI", check_unicast_src: true });
    expect(open.check.accept(rx(), "10.99.0.2")).toBeDefined();
  });
});

/** Just the FSM fields the reporter reads. */
function fakeFsm(state: VrrpState, priority: number, masterAddr?: string) {
  return { state, priority, masterAddr } as { state: VrrpState; priority: number; masterAddr?: string };
}

function reporter(fsm: ReturnType<typeof fakeFsm>) {
  const told: VrrpStateReport[] = [];
  const { logger, lines } = memoryLogger();
  const r = new StateReporter(
    "VI",
    fsm as unknown as VrrpFsm,
    () => "10.0.0.1",
    (x) => told.push(x),
    logger,
  );
  return { r, told, lines };
}

describe("StateReporter", () => {
  test("a transition is logged and told, MASTER with our own address", () => {
    const fsm = fakeFsm("MASTER", 100, "10.0.0.9");
    const { r, told, lines } = reporter(fsm);
    r.transition("BACKUP", "MASTER", "master down");
    expect(told).toMatchObject([{ instance: "VI", state: "MASTER", priority: 100, master: "10.0.0.1" }]);
    expect(told[0]!.reason).toBe("master down");
    expect(lines.some((l) => l.includes("entering MASTER state"))).toBe(true);
  });

  test("a priority change is told once, never in INIT", () => {
    const fsm = fakeFsm("INIT", 100);
    const { r, told } = reporter(fsm);
    r.priorityChecked("");
    expect(told).toEqual([]);
    fsm.state = "BACKUP";
    fsm.masterAddr = "10.0.0.9";
    r.priorityChecked("");
    r.priorityChecked("");
    fsm.priority = 80;
    r.priorityChecked("interface:eth1 down");
    expect(told.map((t) => [t.priority, t.master, t.reason])).toEqual([
      [100, "10.0.0.9", "priority 100"],
      [80, "10.0.0.9", "priority 80 (interface:eth1 down)"],
    ]);
  });

  test("a backup tells the master it learns from adverts, once per change", () => {
    const fsm = fakeFsm("BACKUP", 100);
    const { r, told } = reporter(fsm);
    r.transition("INIT", "BACKUP", "start");
    r.advertSeen();
    fsm.masterAddr = "10.0.0.9";
    r.advertSeen();
    r.advertSeen();
    fsm.state = "MASTER";
    fsm.masterAddr = "10.0.0.8";
    r.advertSeen();
    expect(told.map((t) => [t.state, t.master, t.reason])).toEqual([
      ["BACKUP", undefined, "start"],
      ["BACKUP", "10.0.0.9", "master 10.0.0.9"],
    ]);
  });
});
