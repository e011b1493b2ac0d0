// VRRP hosted in a Worker (the `tcpvs serve` path): state reports reach the main thread, pool quorum
// and operator actions reach the instances, and a blocked main thread does not stop the adverts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRoot, Lab, type Proc, tell, waitFor, waitLine } from "./lab.ts";
import { tcpvsConfig, vrrpDefaults } from "./config.ts";

const ROOT = isRoot();
if (!ROOT) console.log("skipping VRRP worker tests: they need root (ip netns, raw sockets)");

const VIP = "10.77.0.100";
let lab: Lab;
let dir: string;
beforeAll(() => {
  if (!ROOT) return;
  lab = new Lab(2);
  dir = mkdtempSync(join(tmpdir(), "tcpvs-vrrp-"));
});
afterAll(() => {
  lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function configFile(node: number, priority: number, extra: Record<string, unknown> = {}): string {
  const cfg = vrrpDefaults({
    name: "VI",
    priority,
    advert_int: 200,
    virtual_ipaddress: [{ address: VIP, prefix: 24 }],
    garp_master_delay: 0,
    ...extra,
  });
  const file = join(dir, `${node}-${priority}.json`);
  writeFileSync(file, JSON.stringify(tcpvsConfig([cfg])));
  return file;
}

const state = (p: Proc) => {
  const l = [...p.lines].reverse().find((x) => x.includes('"event":"state"') || /entering \w+ state/.test(x));
  if (!l) return undefined;
  const j = JSON.parse(l);
  return j.event === "state" ? j.state : /entering (\w+) state/.exec(j.msg)![1];
};

describe.skipIf(!ROOT)("VRRP in a Worker", () => {
  test("reports state, survives a blocked main thread, follows pool quorum and hold", async () => {
    const hosted = lab.spawn(
      1,
      [
        process.execPath,
        `${import.meta.dir}/run-host.ts`,
        configFile(1, 150, { track_pool: [{ name: "web", weight: -100 }] }),
      ],
      "pipe",
    );
    const plain = lab.spawn(2, [process.execPath, `${import.meta.dir}/run-instance.ts`, configFile(2, 100)]);
    try {
      await waitLine(hosted, /"event":"ready"/, 5000);
      await waitFor(() => state(hosted) === "MASTER", 5000, "the hosted instance to become MASTER");
      await waitFor(() => state(plain) === "BACKUP", 5000, "the plain instance to be BACKUP");
      // The log line "entering MASTER state" may come out before the worker's state report: wait for it.
      const isReport = (l: string) => l.includes('"event":"state"') && l.includes('"state":"MASTER"');
      await waitFor(() => hosted.lines.some(isReport), 5000, "the hosted instance's MASTER report");
      const report = JSON.parse(hosted.lines.find(isReport)!);
      expect(report).toMatchObject({ instance: "VI", priority: 150, master: lab.ip(1) });
      // State-change log lines from the worker come out through the main logger.
      expect(hosted.lines.some((l) => l.includes('"msg":"entering MASTER state"'))).toBe(true);

      // Block the main thread for 4 master-down intervals: adverts keep flowing from the worker.
      tell(hosted, "busy 3000");
      await waitLine(hosted, /"event":"busy_done"/, 10_000);
      expect(plain.lines.some((l) => l.includes('"msg":"entering MASTER state"'))).toBe(false);

      // Pool quorum lost: priority 150 - 100 = 50 < 100, the peer preempts.
      tell(hosted, "quorum web 0");
      await waitFor(() => state(plain) === "MASTER", 3000, "the peer to preempt");
      await waitFor(() => state(hosted) === "BACKUP", 3000, "the hosted instance to step down");
      await waitFor(() => lab.hasAddr(2, VIP) && !lab.hasAddr(1, VIP), 2000, "the VIP to move to node 2");
      tell(hosted, "quorum web 1");
      await waitFor(() => state(hosted) === "MASTER", 3000, "the hosted instance to take MASTER back");

      // Operator hold: step down and stay down until released.
      tell(hosted, "hold VI 1");
      await waitFor(() => state(plain) === "MASTER", 3000, "the peer to take over from a held master");
      await Bun.sleep(1000);
      expect(state(hosted)).toBe("BACKUP");
      tell(hosted, "hold VI 0");
      await waitFor(() => state(hosted) === "MASTER", 3000, "preemption after release");

      // Clean stop through the worker: priority 0, VIPs gone, drop counters returned.
      hosted.proc.kill(15);
      await hosted.done;
      const stopped = JSON.parse(hosted.lines.find((l) => l.includes('"event":"stopped"'))!);
      expect(stopped.drops).toHaveProperty("VI");
      expect(lab.hasAddr(1, VIP)).toBe(false);
      await waitFor(() => state(plain) === "MASTER", 2000, "the peer to take over after the clean stop");
    } finally {
      if (hosted.proc.exitCode === null) hosted.proc.kill(9);
      plain.proc.kill(15);
      await Promise.all([hosted.done, plain.done]);
    }
  }, 40_000);
});
