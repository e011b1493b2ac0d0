// A planned handover on the wire (SIGTERM of the master): the master advertises priority 0, keeps its
// VIP until the backup's first MASTER advert, and sends no gratuitous ARP after the backup's: a refresh
// burst of the old master would pull the clients' caches back to an address that is about to vanish.
// With the connection relay (IPv4, nft on both), the old master then keeps the VIP hidden from ARP
// while its connections drain, and the new master relays them to it; without nft both fall back to
// removing the VIP at once. A third node captures ARP and VRRP. Root only; the namespaces are always
// removed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VrrpConfig } from "../../core/config/types.ts";
import { tcpvsConfig, vrrpDefaults } from "./config.ts";
import { haveTool, isRoot, Lab, type Proc, waitLine } from "./lab.ts";

const ROOT = isRoot();
const TOOLS = haveTool("tcpdump") && haveTool("nft") && haveTool("arping");
if (!ROOT) console.log("skipping VRRP handover test: it needs root (ip netns, raw sockets)");
else if (!TOOLS) console.log("skipping VRRP handover test: it needs tcpdump, nft (nftables) and arping");

const VIP = "10.77.0.100";
const MASTER = /"msg":"entering MASTER state"/;
const BACKUP = /"msg":"entering BACKUP state"/;

let lab: Lab | undefined;
let dir: string | undefined;
beforeAll(() => {
  if (!ROOT || !TOOLS) return;
  lab = new Lab(3);
  dir = mkdtempSync(join(tmpdir(), "tcpvs-handover-"));
});
afterAll(() => {
  lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function start(node: number, v: Partial<VrrpConfig>, env: string[] = []): Proc {
  const cfg = vrrpDefaults({
    name: "VI",
    advert_int: 200,
    virtual_router_id: 71,
    virtual_ipaddress: [{ address: VIP, prefix: 24 }],
    garp_master_delay: 0,
    ...v,
  });
  const file = join(dir!, `n${node}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(tcpvsConfig([cfg])));
  return lab!.spawn(node, ["env", ...env, process.execPath, `${import.meta.dir}/run-instance.ts`, file]);
}

/** tcpdump -e -tt lines: [time, source MAC, rest]. */
function parse(lines: string[]): Array<{ t: number; mac: string; text: string }> {
  return lines.flatMap((l) => {
    const m = /^(\d+\.\d+) ([0-9a-f:]{17}) > (.*)$/.exec(l);
    return m ? [{ t: Number(m[1]), mac: m[2]!, text: m[3]! }] : [];
  });
}

describe.skipIf(!ROOT || !TOOLS)("planned handover on the wire", () => {
  test("SIGTERM: priority 0, VIP kept until the peer's advert, no GARP from the old master after the peer's", async () => {
    const l = lab!;
    // A refresh every 50 ms: without the rule, a burst of A's would land right after B's.
    const a = start(1, { priority: 150, garp_master_refresh: 50, garp_master_repeat: 1 });
    await waitLine(a, MASTER, 10_000);
    const b = start(2, { priority: 100 });
    await waitLine(b, BACKUP, 10_000);
    const dump = l.spawn(3, ["tcpdump", "-l", "-n", "-e", "-tt", "-i", "eth0", "arp or ip proto 112"]);
    const [macA, macB] = [l.mac(1), l.mac(2)];
    try {
      await Bun.sleep(500);
      const bFrom = b.lines.length;
      a.proc.kill("SIGTERM");
      await waitLine(b, MASTER, 5000, bFrom);
      await waitLine(
        b,
        /"msg":"relaying the old master's connections to it".*"peer":"10\.77\.0\.1"/,
        2000,
        bFrom,
      );
      // A hides the VIP (at least 1 s with no connection on it): it keeps the address, but only B
      // answers a client's ARP request for it.
      await waitLine(a, /"msg":"VIPs hidden from ARP/, 2000);
      expect(l.hasAddr(1, VIP)).toBe(true);
      l.sh(3, `arping -c 1 -w 1 -i eth0 ${VIP}`);
      expect(await a.done).toBe(0);
      expect(a.lines.some((x) => /"msg":"hidden VIPs removed"/.test(x))).toBe(true);
      expect(l.hasAddr(1, VIP)).toBe(false);
      await Bun.sleep(300);
    } finally {
      dump.proc.kill(15);
      await dump.done;
      for (const p of [a, b]) if (p.proc.exitCode === null) p.proc.kill("SIGTERM");
      await Promise.all([a.done, b.done]);
    }
    const pkts = parse(dump.lines);
    const garp = (mac: string) => (p: (typeof pkts)[number]) =>
      p.mac === mac && p.text.includes(`who-has ${VIP}`) && p.text.includes(`tell ${VIP}`);
    const resign = pkts.find((p) => p.mac === macA && /vrid 71, prio 0,/.test(p.text));
    const firstB = pkts.find((p) => p.mac === macB && /vrid 71, prio 100,/.test(p.text));
    const bGarp = pkts.find(garp(macB));
    expect(resign).toBeDefined();
    expect(firstB).toBeDefined();
    expect(bGarp).toBeDefined();
    // A announced the VIP while it was master (the refresh ran), and never once B had.
    expect(pkts.filter(garp(macA)).length).toBeGreaterThan(0);
    expect(pkts.filter((p) => garp(macA)(p) && p.t >= resign!.t)).toEqual([]);
    // A dropped its VIP only once B was master (its stop line says who took over).
    expect(
      a.lines.some((x) => /"msg":"entering INIT state".*"shutdown: 10\.77\.0\.2 took over"/.test(x)),
    ).toBe(true);
    // B took over after the resignation (its skew), not after a master-down interval.
    expect(firstB!.t - resign!.t).toBeLessThan(0.5);
    // The client's ARP request for the VIP during A's hide was answered by B alone.
    const reply = (mac: string) => (p: (typeof pkts)[number]) =>
      p.mac === mac && p.text.includes(`${VIP} is-at`);
    expect(pkts.filter(reply(macB)).length).toBeGreaterThan(0);
    expect(pkts.filter((p) => reply(macA)(p) && p.t >= firstB!.t)).toEqual([]);
  }, 40_000);

  test("without nft the old master says so once and removes its VIP at once, as before the relay", async () => {
    const l = lab!;
    const a = start(1, { priority: 150, virtual_router_id: 72 }, ["PATH=/nonexistent"]);
    await waitLine(a, MASTER, 10_000);
    await waitLine(a, /"level":"warn".*planned handovers go on without the connection relay/, 2000);
    const b = start(2, { priority: 100, virtual_router_id: 72 });
    try {
      await waitLine(b, BACKUP, 10_000);
      await Bun.sleep(300);
      const bFrom = b.lines.length;
      a.proc.kill("SIGTERM");
      await waitLine(b, MASTER, 5000, bFrom);
      expect(await a.done).toBe(0);
      expect(a.lines.some((x) => /"shutdown: 10\.77\.0\.2 took over"/.test(x))).toBe(true);
      expect(a.lines.some((x) => /VIPs hidden/.test(x))).toBe(false);
      expect(a.lines.filter((x) => /"level":"warn"/.test(x)).length).toBe(1);
      expect(l.hasAddr(1, VIP)).toBe(false);
    } finally {
      for (const p of [a, b]) if (p.proc.exitCode === null) p.proc.kill("SIGTERM");
      await Promise.all([a.done, b.done]);
    }
  }, 40_000);
});
