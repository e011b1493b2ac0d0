// Two tcpvs VRRPv3 processes over IPv6 in network namespaces: election, crash failover, the unsolicited
// neighbour advert repointing a third node's neighbour cache, and forged adverts (hop limit, checksum)
// dropped and counted. Root only.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VrrpConfig } from "../../core/config/types.ts";
import { encodeAdvert } from "../../core/vrrp/packet.ts";
import { isRoot, Lab, type Proc, waitFor, waitLine } from "./lab.ts";
import { stopProc as stop, startTcpvs, TCPVS_BACKUP as BACKUP, TCPVS_MASTER as MASTER } from "./peers.ts";

const ROOT = isRoot();
if (!ROOT) console.log("skipping IPv6 VRRP namespace tests: they need root (ip netns, raw sockets)");

const VIP = "fd00:77::100";

let lab: Lab;
let dir: string;
beforeAll(() => {
  if (!ROOT) return;
  lab = new Lab(3, { ipv6: true });
  dir = mkdtempSync(join(tmpdir(), "tcpvs-vrrp6-"));
});
afterAll(() => {
  lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function start(node: number, v: Partial<VrrpConfig>): Proc {
  return startTcpvs(lab, dir, node, {
    advert_int: 200,
    virtual_ipaddress: [{ address: VIP, prefix: 64 }],
    ...v,
  });
}

// v3, 200 ms adverts, priority 100: master down = 600 + 121 ms.
const DOWN_100 = 721;

describe.skipIf(!ROOT)("tcpvs against tcpvs over IPv6", () => {
  test("one master; SIGKILL moves the VIP; the neighbour advert repoints a third node's cache", async () => {
    // B joins once A is master (started together, a start skew can make a brief second master: see
    // failover.test.ts).
    const a = start(1, { priority: 150 });
    let b: Proc | undefined;
    try {
      await waitLine(a, MASTER, 5000);
      b = start(2, { priority: 100 });
      await waitLine(b, BACKUP, 5000);
      // Several master-down intervals later the backup still hears node 1 (hop limit 255 read, checksum
      // over the link-local source correct) and holds no VIP.
      await Bun.sleep(3 * DOWN_100);
      expect(b.lines.some((l) => MASTER.test(l))).toBe(false);
      expect(lab.hasAddr(1, VIP)).toBe(true);
      expect(lab.hasAddr(2, VIP)).toBe(false);
      // The client reaches the VIP (no duplicate address detection delay) and learns node 1's MAC.
      expect(lab.sh(3, `ping -6 -c 1 -W 1 ${VIP}`).code).toBe(0);
      expect(lab.sh(3, `ip -6 neigh show ${VIP}`).out).toContain(lab.mac(1));

      a.proc.kill(9);
      const killedAt = Date.now();
      await waitLine(b, MASTER, DOWN_100 + 1000);
      const took = Date.now() - killedAt;
      expect(lab.hasAddr(2, VIP)).toBe(true);
      // No traffic from node 3 since the ping: only an unsolicited advert can change its cache.
      const repointed = await waitFor(
        () => lab.sh(3, `ip -6 neigh show ${VIP}`).out.includes(lab.mac(2)),
        1000,
        "the neighbour advert to update node 3",
      );
      expect(lab.sh(3, `ping -6 -c 1 -W 1 ${VIP}`).code).toBe(0);
      console.log(
        `IPv6 crash failover took ${took} ms (master down interval ${DOWN_100} ms); ` +
          `node 3's neighbour cache showed the new MAC ${repointed} ms later`,
      );
    } finally {
      await stop(a, 9);
      if (b) await stop(b, 15);
    }
    // The crashed master left its VIP behind: the next start removes it before being MASTER again.
    expect(lab.hasAddr(1, VIP)).toBe(true);
    const again = start(1, { priority: 50 });
    try {
      await waitLine(again, /removed a VIP left behind/, 5000);
      await waitLine(again, MASTER, 5000);
    } finally {
      await stop(again, 15);
    }
    expect(lab.hasAddr(1, VIP)).toBe(false);
  }, 20_000);

  test("forged adverts with a wrong hop limit or checksum are dropped and counted", async () => {
    const v = start(1, { priority: 100, advert_int: 1000, virtual_router_id: 9 });
    try {
      await waitLine(v, BACKUP, 5000);
      const src = lab.linkLocal(3);
      const base = { version: 3 as const, vrid: 9, priority: 200, intervalMs: 1000, addresses: [VIP] };
      const good = encodeAdvert(base, { src, dst: "ff02::12" });
      const badSum = good.slice();
      badSum[6]! ^= 0xff;
      const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
      const inject = (hops: number, msg: Uint8Array, n: number) =>
        lab.sh(
          3,
          `${process.execPath} ${import.meta.dir}/inject.ts eth0 ${src} ff02::12 ${hops} ${hex(msg)} ${n}`,
        );
      expect(inject(1, good, 3).code).toBe(0);
      expect(inject(255, badSum, 4).code).toBe(0);
      // A valid priority-200 advert keeps it BACKUP past its master-down interval.
      for (let i = 0; i < 4; i++) {
        expect(inject(255, good, 1).code).toBe(0);
        await Bun.sleep(900);
      }
      expect(v.lines.some((l) => MASTER.test(l))).toBe(false);
    } finally {
      await stop(v, 15);
    }
    const line = v.lines.find((l) => l.includes('"msg":"vrrp stopping"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!).drops.VI).toEqual({ ttl: 3, checksum: 4 });
  }, 20_000);

  test("check_unicast_src: unicast adverts from a source that is not a peer are dropped and counted", async () => {
    const peer = { unicast_src_ip: lab.ip6(1), unicast_peer: [lab.ip6(2)], virtual_router_id: 11 };
    const v = start(1, { priority: 100, advert_int: 1000, check_unicast_src: true, ...peer });
    try {
      await waitLine(v, BACKUP, 5000);
      const base = { version: 3 as const, vrid: 11, priority: 200, intervalMs: 1000, addresses: [VIP] };
      const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
      const send = (node: number, n: number) => {
        const src = lab.ip6(node);
        const msg = encodeAdvert(base, { src, dst: lab.ip6(1) });
        const cmd = `${process.execPath} ${import.meta.dir}/inject.ts eth0 ${src} ${lab.ip6(1)} 255 ${hex(msg)} ${n}`;
        return lab.sh(node, cmd).code;
      };
      expect(send(3, 3)).toBe(0);
      // The configured peer is heard: priority 200 keeps node 1 BACKUP past its master-down interval.
      for (let i = 0; i < 4; i++) {
        expect(send(2, 1)).toBe(0);
        await Bun.sleep(900);
      }
      expect(v.lines.some((l) => MASTER.test(l))).toBe(false);
    } finally {
      await stop(v, 15);
    }
    const line = v.lines.find((l) => l.includes('"msg":"vrrp stopping"'));
    expect(JSON.parse(line!).drops.VI).toEqual({ peer: 3 });
  }, 20_000);

  test("waits in FAULT for a link-local address: no carrier, then duplicate address detection", async () => {
    const setup = [
      "ip link add vd0 type veth peer name vd1",
      "echo 1 > /proc/sys/net/ipv6/conf/vd0/accept_dad",
      "echo 1 > /proc/sys/net/ipv6/conf/vd1/accept_dad",
      "ip link set vd0 up",
    ].join(" && ");
    try {
      expect(lab.sh(1, setup).code).toBe(0);
      // No carrier (the peer end is down): no link-local address at all.
      expect(lab.sh(1, "ip -6 -o addr show dev vd0").out).not.toContain("fe80::");
      const vip = "fd00:78::1";
      const p = start(1, {
        interface: "vd0",
        virtual_router_id: 13,
        virtual_ipaddress: [{ address: vip, prefix: 64 }],
      });
      try {
        await waitLine(p, /waiting for the interface's IPv6 link-local address/, 5000);
        await waitLine(p, /"msg":"entering FAULT state"/, 5000);
        const up = lab.sh(1, "ip link set vd1 up && sleep 0.1 && ip -6 -o addr show dev vd0");
        // Otherwise the rest proves nothing: the new address must not be usable yet.
        expect(up.out).toMatch(/fe80::\S+ scope link tentative/);
        await waitLine(p, /"msg":"IPv6 link-local address ready"/, 5000);
        await waitLine(p, MASTER, 5000);
        expect(lab.sh(1, "ip -6 -o addr show dev vd0").out).not.toContain("tentative");
        expect(lab.sh(1, "ip -6 -o addr show dev vd0").out).toContain(` ${vip}/64`);
      } finally {
        await stop(p, 15);
      }
    } finally {
      lab.sh(1, "ip link del vd0");
    }
  }, 20_000);
  test("neighbour adverts follow garp_master_repeat, garp_master_delay and garp_master_refresh", async () => {
    const dump = lab.spawn(2, ["tcpdump", "-l", "-n", "-v", "-i", "eth0", "icmp6 and ip6[40] == 136"]);
    await Bun.sleep(300);
    const a = start(1, {
      virtual_router_id: 15,
      garp_master_repeat: 2,
      garp_master_delay: 300,
      garp_master_refresh: 1000,
    });
    try {
      await waitLine(a, MASTER, 5000);
      // Bursts due at 0, 300 ms (delay) and 1000 ms (refresh); the next refresh (2000 ms) is outside.
      await Bun.sleep(1500);
    } finally {
      await stop(a, 15);
      await Bun.sleep(200);
      dump.proc.kill(15);
      await dump.done;
    }
    const text = dump.lines.join("\n");
    const nas = text.match(
      /fd00:77::100 > ff02::1: .*neighbor advertisement.*tgt is fd00:77::100, Flags \[override\]/g,
    );
    expect(nas?.length).toBe(6);
    // Every one carries hop limit 255, a checksum tcpdump accepts and node 1's MAC as target link-layer address.
    expect(text.match(/hlim 255/g)?.length).toBe(6);
    expect(text.match(/icmp6 sum ok/g)?.length).toBe(6);
    expect(text.split(lab.mac(1)).length - 1).toBe(6);
  }, 20_000);
});
