// Namespace tests for the wiring around the state machine: unicast peers, track_script, notify
// scripts, track_interface to FAULT, sync groups, and netlink's precise errors. Root only.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VrrpConfig } from "../../core/config/types.ts";
import { isRoot, Lab, type Proc, waitFor } from "./lab.ts";
import { tcpvsConfig, vrrpDefaults } from "./config.ts";

const ROOT = isRoot();
if (!ROOT) console.log("skipping VRRP feature tests: they need root (ip netns, raw sockets)");

let lab: Lab;
let dir: string;
beforeAll(() => {
  if (!ROOT) return;
  lab = new Lab(2);
  dir = mkdtempSync(join(tmpdir(), "tcpvs-vrrp-feat-"));
});
afterAll(() => {
  lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function start(node: number, tag: string, instances: Array<Partial<VrrpConfig>>): Proc {
  const cfgs = instances.map((v) =>
    vrrpDefaults({
      name: "VI",
      advert_int: 200,
      virtual_ipaddress: [{ address: "10.77.0.100", prefix: 24 }],
      garp_master_delay: 0,
      ...v,
    }),
  );
  const file = join(dir, `${tag}.json`);
  writeFileSync(file, JSON.stringify(tcpvsConfig(cfgs)));
  return lab.spawn(node, [process.execPath, `${import.meta.dir}/run-instance.ts`, file]);
}

/** Last state an instance logged ("MASTER", ...). */
function state(p: Proc, inst = "VI"): string | undefined {
  for (let i = p.lines.length - 1; i >= 0; i--) {
    const l = p.lines[i]!;
    if (l.includes(`"vrrp":"${inst}"`)) {
      const m = /entering (\w+) state/.exec(l);
      if (m) return m[1];
    }
  }
  return undefined;
}

async function stopAll(...ps: Proc[]): Promise<void> {
  for (const p of ps) if (p.proc.exitCode === null) p.proc.kill(15);
  await Promise.all(ps.map((p) => p.done));
}

describe.skipIf(!ROOT)("VRRP features in namespaces", () => {
  test("unicast peers with track_script weight and notify scripts in order", async () => {
    const flag = join(dir, "fail");
    const log = join(dir, "notify.log");
    const a = start(1, "uni-a", [
      {
        priority: 150,
        unicast_src_ip: lab.ip(1),
        unicast_peer: [lab.ip(2)],
        notify: `echo >> ${log}`,
        notify_master: `echo master-script >> ${log}`,
        track_script: [
          {
            name: "chk",
            script: `test ! -e ${flag}`,
            interval: 100,
            timeout: 1000,
            rise: 1,
            fall: 2,
            weight: -100,
          },
        ],
      },
    ]);
    const b = start(2, "uni-b", [{ priority: 100, unicast_peer: [lab.ip(1)] }]);
    try {
      await waitFor(
        () => state(a) === "MASTER" && state(b) === "BACKUP",
        5000,
        "node 1 MASTER, node 2 BACKUP",
      );
      await Bun.sleep(1000);
      expect(state(b)).toBe("BACKUP"); // it hears the unicast adverts
      writeFileSync(flag, "");
      await waitFor(() => state(b) === "MASTER" && state(a) === "BACKUP", 5000, "failover on track_script");
      rmSync(flag);
      await waitFor(() => state(a) === "MASTER" && state(b) === "BACKUP", 5000, "preemption after recovery");
    } finally {
      await stopAll(a, b);
    }
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines).toEqual([
      "INSTANCE VI BACKUP 150",
      "master-script",
      "INSTANCE VI MASTER 150",
      "INSTANCE VI BACKUP 50",
      "master-script",
      "INSTANCE VI MASTER 150",
      "INSTANCE VI STOP 150",
    ]);
  }, 30_000);

  test("track_interface down puts an instance in FAULT and its sync group follows", async () => {
    // A veth pair inside node 1 (the dummy driver is not always available): trk0 has carrier while up.
    // It starts down, so the sync group must be in FAULT from the start.
    lab.sh(1, "ip link add trk0 type veth peer name trk1 && ip link set trk1 up");
    const two = (prio: number, extra: Partial<VrrpConfig> = {}) => [
      { name: "VI", priority: prio, ...extra },
      {
        name: "VJ",
        priority: prio,
        virtual_router_id: 52,
        virtual_ipaddress: [{ address: "10.77.0.101", prefix: 24 }],
        sync_group: extra.sync_group,
      },
    ];
    const a = start(
      1,
      "sync-a",
      two(150, { sync_group: "G", track_interface: [{ name: "trk0", weight: 0 }] }),
    );
    const b = start(2, "sync-b", two(100));
    try {
      await waitFor(
        () => state(a, "VI") === "FAULT" && state(a, "VJ") === "FAULT",
        3000,
        "both in FAULT at start",
      );
      await waitFor(
        () => state(b, "VI") === "MASTER" && state(b, "VJ") === "MASTER",
        3000,
        "node 2 master of both",
      );
      lab.sh(1, "ip link set trk0 up");
      await waitFor(
        () => state(a, "VI") === "MASTER" && state(a, "VJ") === "MASTER",
        5000,
        "node 1 master of both",
      );
      lab.sh(1, "ip link set trk0 down");
      await waitFor(() => state(a, "VI") === "FAULT" && state(a, "VJ") === "FAULT", 3000, "both in FAULT");
      await waitFor(
        () => state(b, "VI") === "MASTER" && state(b, "VJ") === "MASTER",
        3000,
        "node 2 takes both",
      );
      expect(lab.hasAddr(1, "10.77.0.100") || lab.hasAddr(1, "10.77.0.101")).toBe(false);
      lab.sh(1, "ip link set trk0 up");
      await waitFor(
        () => state(a, "VI") === "MASTER" && state(a, "VJ") === "MASTER",
        5000,
        "node 1 back as master",
      );
    } finally {
      await stopAll(a, b);
      lab.sh(1, "ip link del trk0");
    }
  }, 30_000);

  test("gratuitous ARP: repeat per burst, a second burst after garp_master_delay, then refresh", async () => {
    const dump = lab.spawn(2, ["tcpdump", "-l", "-n", "-i", "eth0", "arp"]);
    await Bun.sleep(300);
    const a = start(1, "garp", [
      { garp_master_repeat: 2, garp_master_delay: 300, garp_master_refresh: 1000 },
    ]);
    try {
      await waitFor(() => state(a) === "MASTER", 5000, "MASTER");
      // Bursts due at 0, 300 ms (delay) and 1000 ms (refresh); the next refresh (2000 ms) is outside.
      await Bun.sleep(1400);
    } finally {
      // The capture ends first (100 ms for the last packets to be printed), 500 ms before the next
      // refresh: a master alone on the link keeps its VIPs (and their refresh) for up to three advert
      // intervals of its stop, waiting for a peer to take over.
      await Bun.sleep(100);
      dump.proc.kill(15);
      await dump.done;
      await stopAll(a);
    }
    const garps = dump.lines.filter((l) => /Request who-has 10\.77\.0\.100 .*tell 10\.77\.0\.100/.test(l));
    expect(garps.length).toBe(6);
  }, 30_000);

  test("netlink address changes report precise errno codes", () => {
    const r = lab.sh(2, `${process.execPath} ${import.meta.dir}/netlink-probe.ts`);
    const steps = JSON.parse(r.out.trim().split("\n").pop()!) as Array<{
      step: string;
      ok: boolean;
      code?: string;
      value?: unknown;
    }>;
    const byStep = Object.fromEntries(steps.map((s) => [s.step, s]));
    expect(byStep["add"]).toMatchObject({ ok: true });
    expect(byStep["add again"]).toMatchObject({ ok: false, code: "EEXIST" });
    expect(byStep["ensure existing"]).toMatchObject({ ok: true, value: false });
    expect(byStep["del"]).toMatchObject({ ok: true });
    expect(byStep["del again"]).toMatchObject({ ok: false, code: "EADDRNOTAVAIL" });
    expect(byStep["drop missing"]).toMatchObject({ ok: true, value: false });
    expect(byStep["add on missing ifindex"]).toMatchObject({ ok: false, code: "ENODEV" });
    expect(existsSync(dir)).toBe(true);
  });
});
