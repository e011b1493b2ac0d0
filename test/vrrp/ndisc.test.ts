import { describe, expect, test } from "bun:test";
import { linkLocalFrom } from "../../core/sys/iface.ts";
import { naFrame } from "../../core/vrrp/ndisc.ts";

// keepalived 2.2.7's unsolicited neighbour advert for fd00:99::100 from d2:1a:5c:e5:1f:9e, captured
// with `tcpdump -xx` in a test namespace (fixtures/keepalived-na-ipv6.tcpdump.txt).
const KA_NA =
  "333300000001d21a5ce51f9e86dd6000000000203afffd000099000000000000" +
  "000000000100ff02000000000000000000000000000188000ace20000000fd00" +
  "00990000000000000000000001000201d21a5ce51f9e";
const MAC = Uint8Array.of(0xd2, 0x1a, 0x5c, 0xe5, 0x1f, 0x9e);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Verify the ICMPv6 checksum as a receiver does: pseudo-header plus message sums to 0xffff. */
function icmpSumOk(f: Uint8Array): boolean {
  const pseudo = new Uint8Array(40);
  pseudo.set(f.subarray(22, 54));
  pseudo[35] = 32;
  pseudo[39] = 58;
  let s = 0;
  for (const b of [pseudo, f.subarray(54)])
    for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}

describe("unsolicited neighbour advertisement", () => {
  test("byte for byte what keepalived sends: Override, hop limit 255, target link-layer option", () => {
    expect(hex(naFrame(MAC, "fd00:99::100"))).toBe(KA_NA);
    expect(icmpSumOk(naFrame(MAC, "fd00:99::100"))).toBe(true);
    const bad = naFrame(MAC, "fd00:99::100");
    bad[57]! ^= 1;
    expect(icmpSumOk(bad)).toBe(false);
  });
  test("a forwarding host sets the Router flag", () => {
    const f = naFrame(MAC, "fd00:99::100", true);
    expect(f[58]).toBe(0xa0);
    expect(icmpSumOk(f)).toBe(true);
    expect(hex(f.subarray(56, 58))).not.toBe("0ace");
    expect(hex(naFrame(MAC, "fd00:99::100", false))).toBe(KA_NA);
  });
  test("another VIP changes the checksum and target; IPv4 is refused", () => {
    const f = naFrame(MAC, "fd00:99::101");
    expect(hex(f.subarray(56, 58))).toBe("0acc"); // keepalived's checksum for ::101
    expect(hex(f.subarray(62, 78))).toBe("fd000099000000000000000000000101");
    expect(() => naFrame(MAC, "10.0.0.1")).toThrow('"10.0.0.1"');
  });
});

describe("link-local address from /proc/net/if_inet6", () => {
  const text = [
    "fd000077000000000000000000000001 02 40 00 80     eth0",
    "00000000000000000000000000000001 01 80 10 80       lo",
    "fe80000000000000d01a5cfffee51f9e 02 40 20 80     eth0",
    "fe800000000000000000000000000007 03 40 20 c0     eth1",
  ].join("\n");
  test("picks the link-scope address of the named interface", () => {
    expect(linkLocalFrom(text, "eth0")).toEqual({ address: "fe80::d01a:5cff:fee5:1f9e", tentative: false });
  });
  test("a tentative address is not usable yet; a missing one is just absent", () => {
    expect(linkLocalFrom(text, "eth1")).toEqual({ tentative: true });
    expect(linkLocalFrom(text, "eth9")).toEqual({ tentative: false });
  });
});
