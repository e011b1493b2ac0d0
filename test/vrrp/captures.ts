// Ethernet frames captured with `tcpdump -xx` from keepalived 2.2.7 in test namespaces, and what an
// instance configured like that keepalived expects of them. IPv4: 10.99.0.1 master, VIPs 10.99.0.100
// and .101 (full dumps in fixtures/keepalived-v*.tcpdump.txt). IPv6: VRRPv3 from
// fe80::d01a:5cff:fee5:1f9e, VIPs fd00:99::100 and ::101 (fixtures/keepalived-v3-ipv6.tcpdump.txt).

import type { Expect } from "../../core/vrrp/packet.ts";

export const KA_V2_PRIO150 =
  "01005e0000126e2a237ccfc1080045c0002c00010000ff70d02a0a630001e000" +
  "0012213496020101c4ba0a6300640a6300657365637265743132";
export const KA_V2_PRIO0 =
  "01005e0000126e2a237ccfc1080045c0002c00030000ff70d0280a630001e000" +
  "00122134000201015abb0a6300640a6300657365637265743132";
export const KA_V3_PRIO150 =
  "01005e0000126e2a237ccfc1080045c0002400010000ff70d0320a630001e000" + "001231359602006437de0a6300640a630065";
export const KA_V3_PRIO0 =
  "01005e0000126e2a237ccfc1080045c0002400030000ff70d0300a630001e000" + "0012313500020064cdde0a6300640a630065";
export const KA6_PRIO150 =
  "333300000012d21a5ce51f9e86dd6c008b58002870fffe80000000000000d01a" +
  "5cfffee51f9eff020000000000000000000000000012313696020064f161fd00" +
  "0099000000000000000000000100fd000099000000000000000000000101";
export const KA6_PRIO0 =
  "333300000012d21a5ce51f9e86dd6c008b58002870fffe80000000000000d01a" +
  "5cfffee51f9eff0200000000000000000000000000123136000200648762fd00" +
  "0099000000000000000000000100fd000099000000000000000000000101";

export const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => Number.parseInt(b, 16)));
/** The IP packet inside a captured Ethernet frame. */
export const ipBytes = (frame: string) => hex(frame).subarray(14);

export const VIPS4 = ["10.99.0.100", "10.99.0.101"];
export const VIPS6 = ["fd00:99::100", "fd00:99::101"];
export const SRC6 = "fe80::d01a:5cff:fee5:1f9e";

export const E_V2: Expect = {
  version: 2,
  vrid: 52,
  intervalMs: 1000,
  addresses: VIPS4,
  authPass: "secret12",
  own: [],
  multicast: true,
};
export const E_V3: Expect = {
  version: 3,
  vrid: 53,
  intervalMs: 1000,
  addresses: VIPS4,
  own: [],
  multicast: true,
};
export const E_V6: Expect = {
  version: 3,
  vrid: 54,
  intervalMs: 1000,
  addresses: VIPS6,
  own: [],
  multicast: true,
};
