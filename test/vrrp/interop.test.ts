// tcpvs and keepalived on one segment, VRRPv2 (with PASS auth) and v3: each side is master once and
// each side takes over when the other stops advertising. keepalived's own log lines are the evidence
// that it accepts our adverts (no TTL, checksum, interval or address complaints). Root only.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { haveTool, isRoot, Lab, type Proc, waitFor, waitLine } from "./lab.ts";
import {
  KA_BACKUP,
  KA_COMPLAINTS,
  KA_MASTER,
  KEEPALIVED,
  killPid,
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
if (!ROOT) console.log("skipping keepalived interop tests: they need root (ip netns, raw sockets)");
else if (!HAVE) console.log("skipping keepalived interop tests: /usr/sbin/keepalived is not installed");

const VIP = "10.77.0.100";
let lab: Lab;
let dir: string;
/** keepalived's forked VRRP processes: killed by PID in afterAll even when a test timed out. */
const children: string[] = [];

beforeAll(() => {
  if (!ROOT || !HAVE) return;
  lab = new Lab(2);
  dir = mkdtempSync(join(tmpdir(), "tcpvs-ka-"));
});
afterAll(() => {
  for (const f of children) killPid(readPid(f));
  lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Side {
  version: 2 | 3;
  vrid: number;
  intervalMs: number;
  pass?: string;
  /** Unicast adverts between the two nodes instead of 224.0.0.18. */
  unicast?: boolean;
}

const other = (node: number) => (node === 1 ? 2 : 1);

function startTcpvs(node: number, s: Side, priority: number): Proc {
  return startTv(lab, dir, node, {
    version: s.version,
    virtual_router_id: s.vrid,
    advert_int: s.intervalMs,
    priority,
    auth_pass: s.pass,
    unicast_src_ip: s.unicast ? lab.ip(node) : undefined,
    unicast_peer: s.unicast ? [lab.ip(other(node))] : [],
    virtual_ipaddress: [{ address: VIP, prefix: 24 }],
  });
}

function startKeepalived(node: number, s: Side, priority: number): { p: Proc; vrrpPid: string } {
  const unicast = s.unicast ? { src: lab.ip(node), peer: lab.ip(other(node)) } : undefined;
  return startKa(lab, dir, node, { ...s, priority, vip: `${VIP}/24`, unicast }, children);
}

async function scenario(s: Side): Promise<void> {
  const down = 3 * s.intervalMs + s.intervalMs; // generous: 3 x interval + skew (< 1 interval)
  // 1. tcpvs priority 150 is MASTER, keepalived priority 100 is BACKUP and stays so.
  const ka = startKeepalived(2, s, 100);
  let tv = startTcpvs(1, s, 150);
  try {
    await waitLine(tv, TCPVS_MASTER, down + 3000);
    await waitLine(ka.p, KA_BACKUP, 3000);
    await Bun.sleep(down);
    expect(lastMatch(ka.p.lines, [KA_MASTER, KA_BACKUP])).toBe(KA_BACKUP);
    expect(lastMatch(tv.lines, [TCPVS_MASTER, TCPVS_BACKUP])).toBe(TCPVS_MASTER);
    expect(lab.hasAddr(1, VIP) && !lab.hasAddr(2, VIP)).toBe(true);

    // 2. tcpvs crashes: keepalived takes over within the master-down interval (+1 s).
    const from = ka.p.lines.length;
    tv.proc.kill(9);
    await tv.done;
    lab.sh(1, `ip addr del ${VIP}/24 dev eth0`); // what a crashed host's reboot would do
    await waitLine(ka.p, KA_MASTER, down + 1000, from);
    await waitFor(() => lab.hasAddr(2, VIP), 1000, "keepalived to add the VIP");

    // 3. tcpvs priority 50 comes back as BACKUP under keepalived and stays there.
    tv = startTcpvs(1, s, 50);
    await waitLine(tv, TCPVS_BACKUP, 3000);
    await Bun.sleep(down);
    expect(lastMatch(tv.lines, [TCPVS_MASTER, TCPVS_BACKUP])).toBe(TCPVS_BACKUP);
    expect(lastMatch(ka.p.lines, [KA_MASTER, KA_BACKUP])).toBe(KA_MASTER);

    // 4. keepalived's VRRP process hangs (SIGSTOP: adverts stop): tcpvs takes over.
    const child = readPid(ka.vrrpPid);
    expect(child).toBeDefined();
    const tvFrom = tv.lines.length;
    process.kill(child!, "SIGSTOP");
    await waitLine(tv, TCPVS_MASTER, down + 1000, tvFrom);
    await waitFor(() => lab.hasAddr(1, VIP), 1000, "tcpvs to add the VIP");
    process.kill(child!, "SIGKILL");
  } finally {
    const child = readPid(ka.vrrpPid);
    await stopProc(tv, 15);
    await stopProc(ka.p, 9);
    killPid(child);
  }
  const evidence = ka.p.lines.filter((l) => /\(VI\)/.test(l));
  console.log(`keepalived v${s.version} log:\n  ${evidence.join("\n  ")}`);
  const complaints = ka.p.lines.filter((l) => KA_COMPLAINTS.test(l) && !/NOTICE/.test(l));
  expect(complaints).toEqual([]);
}

describe.skipIf(!ROOT || !HAVE)("interop with keepalived", () => {
  test("VRRPv3, 200 ms adverts", async () => {
    await scenario({ version: 3, vrid: 61, intervalMs: 200 });
  }, 30_000);
  test("VRRPv3 unicast peers, 200 ms adverts", async () => {
    await scenario({ version: 3, vrid: 63, intervalMs: 200, unicast: true });
  }, 30_000);
  test("VRRPv2, 1 s adverts, PASS authentication", async () => {
    await scenario({ version: 2, vrid: 62, intervalMs: 1000, pass: "s3cret" });
  }, 60_000);
});
