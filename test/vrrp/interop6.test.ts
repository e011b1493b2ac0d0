// tcpvs and keepalived 2.2.7 on one segment, VRRPv3 over IPv6 (ff02::12 multicast and unicast peers):
// each side is master once and each side takes over when the other stops advertising. keepalived has
// the kernel verify the IPv6 checksum (IPV6_CHECKSUM), so a wrong one is dropped silently: keepalived
// staying BACKUP under our adverts is the evidence that it accepts them. Root only.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareIp } from "../../core/net/ip.ts";
import { haveTool, isRoot, Lab, type Proc, waitFor, waitLine } from "./lab.ts";
import {
  KA_BACKUP,
  KA_COMPLAINTS,
  KA_MASTER,
  KEEPALIVED,
  killPid as kill,
  lastMatch,
  readPid,
  startKeepalived as startKa,
  startTcpvs as startTv,
  stopProc,
  TCPVS_BACKUP,
  TCPVS_MASTER,
} from "./peers.ts";

const ROOT = isRoot();
const HAVE = haveTool(KEEPALIVED);
if (!ROOT) console.log("skipping keepalived IPv6 interop tests: they need root (ip netns, raw sockets)");
else if (!HAVE) console.log("skipping keepalived IPv6 interop tests: /usr/sbin/keepalived is not installed");

const VIP = "fd00:77::100";
const INTERVAL = 200;
let lab: Lab;
let dir: string;
/** keepalived's forked VRRP processes: killed by PID in afterAll even when a test timed out. */
const children: string[] = [];

beforeAll(() => {
  if (!ROOT || !HAVE) return;
  lab = new Lab(2, { ipv6: true });
  dir = mkdtempSync(join(tmpdir(), "tcpvs-ka6-"));
});
afterAll(() => {
  for (const f of children) kill(readPid(f));
  lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Side {
  vrid: number;
  /** Unicast adverts between the nodes' fd00:77:: addresses instead of ff02::12. */
  unicast?: boolean;
}

const other = (node: number) => (node === 1 ? 2 : 1);

function startTcpvs(node: number, s: Side, priority: number): Proc {
  return startTv(lab, dir, node, {
    version: 3,
    virtual_router_id: s.vrid,
    advert_int: INTERVAL,
    priority,
    unicast_src_ip: s.unicast ? lab.ip6(node) : undefined,
    unicast_peer: s.unicast ? [lab.ip6(other(node))] : [],
    virtual_ipaddress: [{ address: VIP, prefix: 64 }],
  });
}

function startKeepalived(node: number, s: Side, priority: number): { p: Proc; vrrpPid: string } {
  const unicast = s.unicast ? { src: lab.ip6(node), peer: lab.ip6(other(node)) } : undefined;
  const side = {
    version: 3 as const,
    vrid: s.vrid,
    intervalMs: INTERVAL,
    priority,
    vip: `${VIP}/64`,
    unicast,
  };
  return startKa(lab, dir, node, side, children);
}

async function scenario(s: Side): Promise<void> {
  const down = 4 * INTERVAL; // generous: 3 x interval + skew (< 1 interval)
  // 1. tcpvs priority 150 is MASTER, keepalived priority 100 is BACKUP and stays so.
  const ka = startKeepalived(2, s, 100);
  let tv = startTcpvs(1, s, 150);
  const took: string[] = [];
  try {
    await waitLine(tv, TCPVS_MASTER, down + 3000);
    await waitLine(ka.p, KA_BACKUP, 3000);
    await Bun.sleep(3 * down);
    expect(lastMatch(ka.p.lines, [KA_MASTER, KA_BACKUP])).toBe(KA_BACKUP);
    expect(lastMatch(tv.lines, [TCPVS_MASTER, TCPVS_BACKUP])).toBe(TCPVS_MASTER);
    expect(lab.hasAddr(1, VIP) && !lab.hasAddr(2, VIP)).toBe(true);

    // 2. tcpvs crashes: keepalived takes over within the master-down interval (+1 s).
    const from = ka.p.lines.length;
    tv.proc.kill(9);
    const t1 = Date.now();
    await tv.done;
    lab.sh(1, `ip addr del ${VIP}/64 dev eth0`); // what a crashed host's reboot would do
    await waitLine(ka.p, KA_MASTER, down + 1000, from);
    took.push(`keepalived took over in ${Date.now() - t1} ms`);
    await waitFor(() => lab.hasAddr(2, VIP), 1000, "keepalived to add the VIP");

    // 3. tcpvs priority 50 comes back as BACKUP under keepalived and stays there.
    tv = startTcpvs(1, s, 50);
    await waitLine(tv, TCPVS_BACKUP, 3000);
    await Bun.sleep(3 * down);
    expect(lastMatch(tv.lines, [TCPVS_MASTER, TCPVS_BACKUP])).toBe(TCPVS_BACKUP);
    expect(lastMatch(ka.p.lines, [KA_MASTER, KA_BACKUP])).toBe(KA_MASTER);

    // 4. keepalived's VRRP process hangs (SIGSTOP: adverts stop): tcpvs takes over.
    const child = readPid(ka.vrrpPid);
    expect(child).toBeDefined();
    const tvFrom = tv.lines.length;
    process.kill(child!, "SIGSTOP");
    const t2 = Date.now();
    await waitLine(tv, TCPVS_MASTER, down + 1000, tvFrom);
    took.push(`tcpvs took over in ${Date.now() - t2} ms`);
    await waitFor(() => lab.hasAddr(1, VIP), 1000, "tcpvs to add the VIP");
    kill(child);
  } finally {
    const child = readPid(ka.vrrpPid);
    await stopProc(tv, 15);
    await stopProc(ka.p, 9);
    kill(child);
  }
  const evidence = ka.p.lines.filter((l) => /\(VI\)/.test(l));
  console.log(
    `keepalived IPv6 ${s.unicast ? "unicast" : "multicast"} (${took.join(", ")}):\n  ${evidence.join("\n  ")}`,
  );
  const complaints = ka.p.lines.filter((l) => KA_COMPLAINTS.test(l) && !/NOTICE/.test(l));
  expect(complaints).toEqual([]);
}

describe.skipIf(!ROOT || !HAVE)("interop with keepalived over IPv6", () => {
  test("VRRPv3 on ff02::12, 200 ms adverts", async () => {
    await scenario({ vrid: 71 });
  }, 30_000);
  test("VRRPv3 unicast peers, 200 ms adverts", async () => {
    await scenario({ vrid: 73, unicast: true });
  }, 30_000);

  test("equal priorities, both MASTER: they agree the higher link-local address keeps it", async () => {
    // Only two masters meeting compare addresses (a backup defers to any equal master), so cut node 1's
    // bridge port first: both become MASTER alone, then the segment heals.
    const s: Side = { vrid: 75 };
    lab.run(["ip", "-n", lab.bridge, "link", "set", "p1", "nomaster"]);
    const ka = startKeepalived(2, s, 100);
    const tv = startTcpvs(1, s, 100);
    try {
      await waitLine(tv, TCPVS_MASTER, 5000);
      await waitLine(ka.p, KA_MASTER, 5000);
      const tcpvsHigher = compareIp(lab.linkLocal(1), lab.linkLocal(2)) > 0;
      const tvFrom = tv.lines.length;
      const kaFrom = ka.p.lines.length;
      lab.run(["ip", "-n", lab.bridge, "link", "set", "p1", "master", "br0"]);
      if (tcpvsHigher) await waitLine(ka.p, KA_BACKUP, 3000, kaFrom);
      else await waitLine(tv, TCPVS_BACKUP, 3000, tvFrom);
      // Settled: no flapping afterwards.
      await Bun.sleep(4 * INTERVAL);
      expect(lastMatch(tv.lines, [TCPVS_MASTER, TCPVS_BACKUP])).toBe(
        tcpvsHigher ? TCPVS_MASTER : TCPVS_BACKUP,
      );
      expect(lastMatch(ka.p.lines, [KA_MASTER, KA_BACKUP])).toBe(tcpvsHigher ? KA_BACKUP : KA_MASTER);
      expect(lab.hasAddr(1, VIP)).toBe(tcpvsHigher);
      expect(lab.hasAddr(2, VIP)).toBe(!tcpvsHigher);
      console.log(
        `equal priority, two masters: ${tcpvsHigher ? "keepalived" : "tcpvs"} (lower link-local) stepped down`,
      );
    } finally {
      lab.run(["ip", "-n", lab.bridge, "link", "set", "p1", "master", "br0"]);
      const child = readPid(ka.vrrpPid);
      await stopProc(tv, 15);
      await stopProc(ka.p, 9);
      kill(child);
    }
  }, 20_000);
});
