import { describe, expect, test } from "bun:test";
import {
  type FsmAction,
  type FsmOptions,
  HANDOVER_MARGIN_MS,
  handoverBoundMs,
  RESIGN_INTERVALS,
  VrrpFsm,
} from "../../core/vrrp/fsm.ts";

const base: FsmOptions = {
  version: 3,
  priority: 100,
  advertIntMs: 1000,
  preempt: true,
  preemptDelayMs: 0,
  primary: "10.0.0.2",
};
const types = (acts: FsmAction[]) => acts.map((a) => a.type);
const states = (acts: FsmAction[]) => acts.filter((a) => a.type === "state").map((a) => a.to);
const sent = (acts: FsmAction[]) => acts.flatMap((a) => (a.type === "send_advert" ? [a.priority] : []));

/** Start a machine and drive it to MASTER via the master-down timer. */
function master(o: Partial<FsmOptions> = {}): VrrpFsm {
  const f = new VrrpFsm({ ...base, ...o });
  f.start(0);
  f.tick(f.timerAt!);
  expect(f.state).toBe("MASTER");
  return f;
}

describe("timers", () => {
  test("skew and master down interval: v3 scales with the interval, v2 with one second", () => {
    const v3 = new VrrpFsm({ ...base, advertIntMs: 200 });
    expect(v3.skewMs()).toBe(Math.floor((156 * 200) / 256));
    expect(v3.masterDownMs()).toBe(600 + 121);
    const v2 = new VrrpFsm({ ...base, version: 2, advertIntMs: 1000 });
    expect(v2.masterDownMs()).toBe(3000 + 609);
  });
});

describe("INIT", () => {
  test("start -> BACKUP with master-down timer", () => {
    const f = new VrrpFsm(base);
    const acts = f.start(5000);
    expect(states(acts)).toEqual(["BACKUP"]);
    expect(acts).toContainEqual({ type: "set_timer", at: 5000 + 3609 });
    expect(acts).toContainEqual({ type: "notify", state: "BACKUP" });
  });
  test("priority 255 owner goes MASTER at once", () => {
    const f = new VrrpFsm({ ...base, priority: 255 });
    const acts = f.start(0);
    expect(states(acts)).toEqual(["MASTER"]);
    expect(types(acts)).toEqual(["state", "send_advert", "add_vips", "garp", "set_timer", "notify"]);
  });
});

describe("BACKUP", () => {
  test("timer not yet due does nothing, then promotes with advert, VIPs, GARP", () => {
    const f = new VrrpFsm(base);
    f.start(0);
    expect(f.tick(3608)).toEqual([]);
    const acts = f.tick(3609);
    expect(states(acts)).toEqual(["MASTER"]);
    expect(sent(acts)).toEqual([100]);
    expect(types(acts)).toContain("add_vips");
    expect(types(acts)).toContain("garp");
    expect(f.timerAt).toBe(3609 + 1000);
  });
  test("an equal or higher master resets the master-down timer", () => {
    const f = new VrrpFsm(base);
    f.start(0);
    expect(f.advert(3000, { priority: 100, intervalMs: 1000, src: "10.0.0.9" })).toEqual([
      { type: "set_timer", at: 6609 },
    ]);
    expect(f.tick(3609)).toEqual([]);
    expect(f.masterAddr).toBe("10.0.0.9");
  });
  test("v3 backup adopts the master's interval", () => {
    const f = new VrrpFsm(base);
    f.start(0);
    f.advert(100, { priority: 200, intervalMs: 300, src: "10.0.0.9" });
    expect(f.masterAdverIntervalMs).toBe(300);
    expect(f.timerAt).toBe(100 + 900 + Math.floor((156 * 300) / 256));
  });
  test("v2 backup keeps its own interval", () => {
    const f = new VrrpFsm({ ...base, version: 2 });
    f.start(0);
    f.advert(100, { priority: 200, intervalMs: 2000, src: "10.0.0.9" });
    expect(f.masterAdverIntervalMs).toBe(1000);
  });
  test("priority 0 from the master: wait only skew, then relay its connections before the VIPs", () => {
    const f = new VrrpFsm(base);
    f.start(0);
    f.advert(1000, { priority: 0, intervalMs: 1000, src: "10.0.0.9" });
    expect(f.timerAt).toBe(1000 + 609);
    const acts = f.tick(1609);
    expect(states(acts)).toEqual(["MASTER"]);
    expect(types(acts).slice(0, 5)).toEqual(["state", "send_advert", "relay_in", "add_vips", "garp"]);
    expect(acts[2]).toEqual({ type: "relay_in", peer: "10.0.0.9" });
    expect(f.peerResigned).toBeUndefined();
  });
  test("a master that failed (no priority 0) or advertised again after resigning is not relayed to", () => {
    const f = new VrrpFsm(base);
    f.start(0);
    f.advert(100, { priority: 200, intervalMs: 1000, src: "10.0.0.9" });
    expect(types(f.tick(f.timerAt!))).not.toContain("relay_in");
    const g = new VrrpFsm(base);
    g.start(0);
    g.advert(100, { priority: 0, intervalMs: 1000, src: "10.0.0.9" });
    g.advert(200, { priority: 200, intervalMs: 1000, src: "10.0.0.9" });
    expect(types(g.tick(g.timerAt!))).not.toContain("relay_in");
  });
  test("preempt: a lower-priority master is ignored, so the timer runs out", () => {
    const f = new VrrpFsm(base);
    f.start(0);
    expect(f.advert(1000, { priority: 50, intervalMs: 1000, src: "10.0.0.9" })).toEqual([]);
    expect(f.timerAt).toBe(3609);
    expect(states(f.tick(3609))).toEqual(["MASTER"]);
  });
  test("nopreempt: a lower-priority master is accepted", () => {
    const f = new VrrpFsm({ ...base, preempt: false });
    f.start(0);
    f.advert(1000, { priority: 50, intervalMs: 1000, src: "10.0.0.9" });
    expect(f.timerAt).toBe(4609);
  });
  test("preempt_delay counts from start-up: a lower master is accepted until start + delay", () => {
    const f = new VrrpFsm({ ...base, preemptDelayMs: 5000 });
    f.start(0);
    f.advert(1000, { priority: 50, intervalMs: 1000, src: "10.0.0.9" });
    expect(f.timerAt).toBe(4609);
    f.advert(4999, { priority: 50, intervalMs: 1000, src: "10.0.0.9" });
    expect(f.timerAt).toBe(8608);
    // Counted from the first sighting (1000) it would still hold until 6000.
    expect(f.advert(5000, { priority: 50, intervalMs: 1000, src: "10.0.0.9" })).toEqual([]);
    expect(states(f.tick(8608))).toEqual(["MASTER"]);
  });
  test("preempt_delay counts from seeing a lower master after an equal or higher one", () => {
    const f = new VrrpFsm({ ...base, preemptDelayMs: 5000 });
    f.start(0);
    for (const t of [1000, 4000, 7000]) f.advert(t, { priority: 150, intervalMs: 1000, src: "10.0.0.9" });
    // The master weakens at 8000 (tracking): the window opens then, not at start-up.
    f.advert(8000, { priority: 50, intervalMs: 1000, src: "10.0.0.9" });
    expect(f.timerAt).toBe(8000 + 3609);
    f.advert(12_999, { priority: 50, intervalMs: 1000, src: "10.0.0.9" });
    expect(f.timerAt).toBe(12_999 + 3609);
    expect(f.advert(13_000, { priority: 50, intervalMs: 1000, src: "10.0.0.9" })).toEqual([]);
    expect(states(f.tick(12_999 + 3609))).toEqual(["MASTER"]);
  });
  test("preempt_delay restarts when leaving FAULT and after stepping down as master", () => {
    const f = new VrrpFsm({ ...base, preemptDelayMs: 5000 });
    f.start(0);
    f.setFault(100, true, "link down");
    f.setFault(20_000, false, "link up");
    f.advert(24_999, { priority: 50, intervalMs: 1000, src: "10.0.0.9" });
    expect(f.timerAt).toBe(24_999 + 3609);
    expect(f.advert(25_000, { priority: 50, intervalMs: 1000, src: "10.0.0.9" })).toEqual([]);

    const m = master({ preemptDelayMs: 5000 });
    m.advert(40_000, { priority: 150, intervalMs: 1000, src: "10.0.0.9" });
    expect(m.state).toBe("BACKUP");
    m.advert(41_000, { priority: 50, intervalMs: 1000, src: "10.0.0.9" });
    expect(m.timerAt).toBe(41_000 + 3609);
    m.advert(45_999, { priority: 50, intervalMs: 1000, src: "10.0.0.9" });
    expect(m.timerAt).toBe(45_999 + 3609);
    expect(m.advert(46_000, { priority: 50, intervalMs: 1000, src: "10.0.0.9" })).toEqual([]);
  });
  test("held backup never promotes", () => {
    const f = new VrrpFsm(base);
    f.start(0);
    f.hold(0, true);
    expect(f.tick(3609)).toEqual([{ type: "set_timer", at: 3609 + 3609 }]);
    expect(f.state).toBe("BACKUP");
  });
});

describe("MASTER", () => {
  test("advert timer re-sends", () => {
    const f = master();
    const t = f.timerAt!;
    expect(f.tick(t)).toEqual([
      { type: "send_advert", priority: 100 },
      { type: "set_timer", at: t + 1000 },
    ]);
  });
  test("higher priority: step down, remove VIPs", () => {
    const f = master();
    const acts = f.advert(5000, { priority: 150, intervalMs: 1000, src: "10.0.0.1" });
    expect(states(acts)).toEqual(["BACKUP"]);
    expect(types(acts)).toContain("remove_vips");
    expect(acts).toContainEqual({ type: "notify", state: "BACKUP" });
    expect(f.timerAt).toBe(5000 + 3609);
  });
  test("equal priority: the higher primary address wins", () => {
    const lower = master();
    expect(states(lower.advert(5000, { priority: 100, intervalMs: 1000, src: "10.0.0.3" }))).toEqual([
      "BACKUP",
    ]);
    const higher = master();
    const acts = higher.advert(5000, { priority: 100, intervalMs: 1000, src: "10.0.0.1" });
    expect(higher.state).toBe("MASTER");
    expect(sent(acts)).toEqual([100]);
  });
  test("equal priority over IPv6: the higher link-local address wins, compared as 128-bit numbers", () => {
    // As text "fe80::9" > "fe80::10"; as 128-bit numbers 0x10 > 0x9 decides.
    const lower = master({ primary: "fe80::9" });
    expect(states(lower.advert(5000, { priority: 100, intervalMs: 1000, src: "fe80::10" }))).toEqual([
      "BACKUP",
    ]);
    const higher = master({ primary: "fe80::d01a:5cff:fee5:1f9e" });
    higher.advert(5000, { priority: 100, intervalMs: 1000, src: "fe80::d01a:5cff:fee5:1f9d" });
    expect(higher.state).toBe("MASTER");
    // Another spelling of a higher address still counts as higher.
    const spelled = master({ primary: "FE80:0:0:0:0:0:0:0001" });
    spelled.advert(5000, { priority: 100, intervalMs: 1000, src: "fe80::2" });
    expect(spelled.state).toBe("BACKUP");
  });
  test("lower priority: hold, re-advertise and pull the clients back by gratuitous ARP at once", () => {
    const f = master();
    const acts = f.advert(5000, { priority: 50, intervalMs: 1000, src: "10.0.0.9" });
    expect(f.state).toBe("MASTER");
    expect(acts).toEqual([
      { type: "send_advert", priority: 100 },
      { type: "garp" },
      { type: "set_timer", at: 6000 },
    ]);
    // Once more with the next advert (the other node's own burst may have landed after ours); then not.
    expect(types(f.tick(6000))).toEqual(["send_advert", "garp", "set_timer"]);
    expect(types(f.tick(7000))).toEqual(["send_advert", "set_timer"]);
  });
  test("priority 0 from another master: answer with an advert", () => {
    const f = master();
    expect(sent(f.advert(5000, { priority: 0, intervalMs: 1000, src: "10.0.0.9" }))).toEqual([100]);
    expect(f.state).toBe("MASTER");
  });
  test("shutdown resigns with priority 0 and removes VIPs", () => {
    const f = master();
    const acts = f.shutdown(9000);
    expect(states(acts)).toEqual(["INIT"]);
    expect(sent(acts)).toEqual([0]);
    expect(types(acts)).toEqual(["state", "send_advert", "remove_vips", "set_timer", "notify"]);
    expect(f.timerAt).toBeNull();
  });
  test("tracking lowers priority: advertise it at once", () => {
    const f = master();
    expect(sent(f.setPriority(100, 60))).toEqual([60]);
    expect(f.setPriority(100, 60)).toEqual([]);
    expect(f.skewMs()).toBe(Math.floor((196 * 1000) / 256));
  });
  test("hold hands over: priority 0 out, VIPs kept until the peer's first MASTER advert", () => {
    const f = master();
    const acts = f.hold(10, true);
    expect(sent(acts)).toEqual([0]);
    expect(types(acts)).toEqual(["send_advert", "stop_garp", "set_timer"]);
    expect(f.state).toBe("MASTER");
    expect(f.hold(20, true)).toEqual([]); // already handing over: nothing more is sent
    // The peer (priority lower than ours, but we advertise 0) takes over: VIPs stay HANDOVER_MARGIN_MS more.
    expect(f.advert(200, { priority: 50, intervalMs: 1000, src: "10.0.0.9" })).toEqual([
      { type: "set_timer", at: 200 + HANDOVER_MARGIN_MS },
    ]);
    expect(f.tick(200 + HANDOVER_MARGIN_MS - 1)).toEqual([]);
    const end = f.tick(200 + HANDOVER_MARGIN_MS);
    expect(states(end)).toEqual(["BACKUP"]);
    // Retired, not removed: the instance may keep them hidden while its connections drain.
    expect(types(end)).toContain("retire_vips");
    expect(types(end)).not.toContain("remove_vips");
    expect(sent(end)).toEqual([]);
    expect(f.held).toBe(true);
  });
});

describe("planned handover (resign)", () => {
  test("stop: priority 0 at once and each interval, VIPs kept until the peer's advert, then INIT", () => {
    const f = master();
    const t0 = f.timerAt!;
    const acts = f.resign(t0, "stop");
    // The GARP schedule stops at once: a delayed or refresh burst would pull clients back from the peer.
    expect(types(acts)).toEqual(["send_advert", "stop_garp", "set_timer"]);
    expect(sent(acts)).toEqual([0]);
    expect(f.state).toBe("MASTER");
    // Tracking changes during the handover must not advertise a live priority again.
    expect(f.setPriority(t0 + 1, 60)).toEqual([]);
    expect(f.force(t0 + 1, "BACKUP", "sync group")).toEqual([]);
    expect(sent(f.tick(t0 + 1000))).toEqual([0]); // resent: one lost packet must not cost master-down
    expect(f.advert(t0 + 1100, { priority: 0, intervalMs: 1000, src: "10.0.0.9" })).toEqual([]);
    f.advert(t0 + 1200, { priority: 100, intervalMs: 1000, src: "10.0.0.9" });
    const end = f.tick(t0 + 1200 + HANDOVER_MARGIN_MS);
    expect(states(end)).toEqual(["INIT"]);
    // The peer took over: the VIPs are retired (the instance may keep them hidden for the drain).
    expect(types(end)).toEqual(["state", "retire_vips", "set_timer", "notify"]);
    expect(end[0]).toMatchObject({ reason: "shutdown: 10.0.0.9 took over" });
    expect(f.resigning).toBeUndefined();
    expect(f.shutdown(t0 + 2000)).toEqual([]); // already stopped
  });
  test("stop with no peer answering: the VIPs go after RESIGN_INTERVALS intervals", () => {
    const f = master({ advertIntMs: 250 });
    const t0 = f.timerAt!;
    f.resign(t0, "stop");
    for (let k = 1; k < RESIGN_INTERVALS; k++) expect(sent(f.tick(t0 + k * 250))).toEqual([0]);
    const end = f.tick(t0 + RESIGN_INTERVALS * 250);
    expect(states(end)).toEqual(["INIT"]);
    expect(types(end)).toContain("remove_vips");
    expect(end[0]).toMatchObject({ reason: "shutdown: no peer took over" });
    expect(handoverBoundMs([{ advert_int: 250 }, { advert_int: 1000 }])).toBe(
      RESIGN_INTERVALS * 1000 + HANDOVER_MARGIN_MS,
    );
  });
  test("a backup has nothing to hand over; a shutdown during the handover drops the VIPs at once", () => {
    const b = new VrrpFsm(base);
    b.start(0);
    expect(b.resign(10, "stop")).toEqual([]);
    const f = master();
    f.resign(f.timerAt!, "stop");
    const acts = f.shutdown(f.timerAt!);
    expect(types(acts)).toEqual(["state", "remove_vips", "set_timer", "notify"]); // priority 0 already sent
  });
  test("a stop during a hold's handover stays a stop; a release ends the hold's handover in BACKUP", () => {
    const f = master();
    const t0 = f.timerAt!;
    f.hold(t0, true);
    f.resign(t0 + 1, "stop");
    expect(f.resigning?.end).toBe("stop");
    const g = master();
    g.hold(g.timerAt!, true);
    const rel = g.hold(g.timerAt!, false);
    expect(states(rel)).toEqual(["BACKUP"]);
    expect(types(rel)).toContain("remove_vips"); // no peer took over: nothing to drain
    expect(g.held).toBe(false);
  });
  test("a fault during the handover ends it in FAULT", () => {
    const f = master();
    f.resign(f.timerAt!, "stop");
    expect(states(f.setFault(f.timerAt!, true, "link down"))).toEqual(["FAULT"]);
    expect(f.resigning).toBeUndefined();
  });
});

describe("state MASTER (keepalived's initial state)", () => {
  test("starts as MASTER at once and yields to a higher priority", () => {
    const f = new VrrpFsm({ ...base, initialState: "MASTER" });
    const acts = f.start(0);
    expect(states(acts)).toEqual(["MASTER"]);
    expect(types(acts)).toEqual(["state", "send_advert", "add_vips", "garp", "set_timer", "notify"]);
    expect(states(f.advert(10, { priority: 200, intervalMs: 1000, src: "10.0.0.9" }))).toEqual(["BACKUP"]);
  });
  test("BACKUP (or unset) waits; leaving FAULT and a hold never promote at once", () => {
    expect(states(new VrrpFsm({ ...base, initialState: "BACKUP" }).start(0))).toEqual(["BACKUP"]);
    const f = new VrrpFsm({ ...base, initialState: "MASTER" });
    f.setFault(0, true, "link down");
    expect(states(f.setFault(10, false, "link up"))).toEqual(["BACKUP"]);
    const h = new VrrpFsm({ ...base, initialState: "MASTER" });
    h.hold(0, true);
    expect(states(h.start(0))).toEqual(["BACKUP"]);
  });
});

describe("reload in place (update)", () => {
  test("a master re-advertises at a new interval at once; no transition", () => {
    const f = master();
    const acts = f.update(50, { ...base, advertIntMs: 300 });
    expect(acts).toEqual([
      { type: "send_advert", priority: 100 },
      { type: "set_timer", at: 350 },
    ]);
    expect(f.state).toBe("MASTER");
    expect(f.masterAdverIntervalMs).toBe(300);
  });
  test("new preempt and priority settings apply to the next decision", () => {
    const f = new VrrpFsm(base);
    f.start(0);
    expect(f.update(5, { ...base, preempt: false })).toEqual([]);
    // Without preemption a lower master is accepted (timer re-armed) instead of ignored.
    expect(types(f.advert(10, { priority: 50, intervalMs: 1000, src: "10.0.0.9" }))).toEqual(["set_timer"]);
    f.update(20, { ...base, preempt: true });
    expect(f.advert(30, { priority: 50, intervalMs: 1000, src: "10.0.0.9" })).toEqual([]);
  });
});

describe("FAULT", () => {
  test("MASTER -> FAULT resigns, removes VIPs; recovery -> BACKUP", () => {
    const f = master();
    const acts = f.setFault(100, true, "link down");
    expect(states(acts)).toEqual(["FAULT"]);
    expect(sent(acts)).toEqual([0]);
    expect(types(acts)).toContain("remove_vips");
    expect(f.advert(200, { priority: 1, intervalMs: 1000, src: "10.0.0.9" })).toEqual([]);
    expect(f.tick(99999)).toEqual([]);
    expect(states(f.setFault(300, false, "link up"))).toEqual(["BACKUP"]);
    expect(f.timerAt).toBe(300 + 3609);
  });
  test("BACKUP -> FAULT cancels the timer; INIT -> FAULT; repeat fault is a no-op", () => {
    const f = new VrrpFsm(base);
    expect(states(f.setFault(0, true, "link down"))).toEqual(["FAULT"]);
    expect(f.setFault(1, true, "again")).toEqual([]);
    const g = new VrrpFsm(base);
    g.start(0);
    expect(g.setFault(5, true, "x")).toContainEqual({ type: "set_timer", at: null });
  });
});

describe("remaining transitions", () => {
  test("BACKUP -> INIT on shutdown sends nothing and keeps VIPs untouched", () => {
    const f = new VrrpFsm(base);
    f.start(0);
    const acts = f.shutdown(10);
    expect(states(acts)).toEqual(["INIT"]);
    expect(types(acts)).toEqual(["state", "set_timer", "notify"]);
    expect(f.tick(99999)).toEqual([]);
  });
  test("FAULT -> MASTER directly for the address owner", () => {
    const f = new VrrpFsm({ ...base, priority: 255 });
    f.setFault(0, true, "link down");
    expect(states(f.setFault(10, false, "link up"))).toEqual(["MASTER"]);
  });
  test("a held instance recovering from FAULT goes BACKUP even as owner", () => {
    const f = new VrrpFsm({ ...base, priority: 255 });
    f.hold(0, true);
    f.setFault(0, true, "link down");
    expect(states(f.setFault(10, false, "link up"))).toEqual(["BACKUP"]);
  });
});

describe("sync group forcing", () => {
  test("force MASTER from BACKUP and BACKUP from MASTER", () => {
    const f = new VrrpFsm(base);
    f.start(0);
    expect(states(f.force(10, "MASTER", "sync group"))).toEqual(["MASTER"]);
    expect(states(f.force(20, "BACKUP", "sync group"))).toEqual(["BACKUP"]);
    expect(f.force(30, "BACKUP", "sync group")).toEqual([]);
  });
});
