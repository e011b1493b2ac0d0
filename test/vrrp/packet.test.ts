import { describe, expect, test } from "bun:test";
import {
  decodeAdvert,
  encodeAdvert,
  type Expect,
  parseIpv4,
  validateAdvert,
  vrrpChecksum,
} from "../../core/vrrp/packet.ts";

// Ethernet frames captured with `tcpdump -xx` from keepalived 2.2.7 in a test namespace
// (10.99.0.1 master, VIPs 10.99.0.100 and .101); full dumps in fixtures/keepalived-v*.tcpdump.txt.
const KA_V2_PRIO150 =
  "01005e0000126e2a237ccfc1080045c0002c00010000ff70d02a0a630001e000" +
  "0012213496020101c4ba0a6300640a6300657365637265743132";
const KA_V2_PRIO0 =
  "01005e0000126e2a237ccfc1080045c0002c00030000ff70d0280a630001e000" +
  "00122134000201015abb0a6300640a6300657365637265743132";
const KA_V3_PRIO150 =
  "01005e0000126e2a237ccfc1080045c0002400010000ff70d0320a630001e000" + "001231359602006437de0a6300640a630065";
const KA_V3_PRIO0 =
  "01005e0000126e2a237ccfc1080045c0002400030000ff70d0300a630001e000" + "0012313500020064cdde0a6300640a630065";

const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => Number.parseInt(b, 16)));
const ipOf = (frame: string) => hex(frame).subarray(14);
const VIPS = ["10.99.0.100", "10.99.0.101"];

const v2: Expect = {
  version: 2,
  vrid: 52,
  intervalMs: 1000,
  addresses: VIPS,
  authPass: "secret12",
  own: [],
  multicast: true,
};
const v3: Expect = { version: 3, vrid: 53, intervalMs: 1000, addresses: VIPS, own: [], multicast: true };

describe("keepalived fixtures decode", () => {
  test("v2 advert with PASS auth", () => {
    const r = validateAdvert(ipOf(KA_V2_PRIO150), v2);
    expect(r).toMatchObject({ ok: true, src: "10.99.0.1" });
    if (!r.ok) return;
    expect(r.advert).toMatchObject({
      version: 2,
      vrid: 52,
      priority: 150,
      intervalMs: 1000,
      addresses: VIPS,
      authType: 1,
    });
    expect(new TextDecoder().decode(r.advert.authData)).toBe("secret12");
  });

  test("v2 priority 0 resignation", () => {
    const r = validateAdvert(ipOf(KA_V2_PRIO0), v2);
    expect(r.ok && r.advert.priority).toBe(0);
  });

  test("v3 advert checksum includes the pseudo-header", () => {
    const r = validateAdvert(ipOf(KA_V3_PRIO150), v3);
    expect(r).toMatchObject({ ok: true, advert: { version: 3, vrid: 53, priority: 150, intervalMs: 1000 } });
    // Without the pseudo-header the same bytes fail: proves keepalived includes it.
    expect(validateAdvert(ipOf(KA_V3_PRIO150), { ...v3, noPseudoHeader: true })).toEqual({
      ok: false,
      reason: "checksum",
    });
    expect(validateAdvert(ipOf(KA_V3_PRIO0), v3)).toMatchObject({ ok: true, advert: { priority: 0 } });
  });
});

describe("encode reproduces keepalived's bytes", () => {
  test("v2", () => {
    const msg = encodeAdvert(
      { version: 2, vrid: 52, priority: 150, intervalMs: 1000, addresses: VIPS },
      { src: "10.99.0.1", dst: "224.0.0.18", authPass: "secret12" },
    );
    expect(msg).toEqual(parseIpv4(ipOf(KA_V2_PRIO150))!.payload);
  });
  test("v3 with and without pseudo-header", () => {
    const a = { version: 3 as const, vrid: 53, priority: 0, intervalMs: 1000, addresses: VIPS };
    const msg = encodeAdvert(a, { src: "10.99.0.1", dst: "224.0.0.18" });
    expect(msg).toEqual(parseIpv4(ipOf(KA_V3_PRIO0))!.payload);
    const bare = encodeAdvert(a, { src: "10.99.0.1", dst: "224.0.0.18", noPseudoHeader: true });
    expect(vrrpChecksum(bare)).toBe(0);
    expect(bare).not.toEqual(msg);
  });
  test("v3 centiseconds round trip", () => {
    const msg = encodeAdvert(
      { version: 3, vrid: 9, priority: 100, intervalMs: 250, addresses: ["10.0.0.9"] },
      { src: "10.0.0.1", dst: "10.0.0.2" },
    );
    expect(decodeAdvert(msg)).toMatchObject({ intervalMs: 250, priority: 100, addresses: ["10.0.0.9"] });
  });
  test("v2 refuses sub-second intervals, v3 refuses > 40950 ms", () => {
    const a = { version: 2 as const, vrid: 1, priority: 1, intervalMs: 500, addresses: [] };
    expect(() => encodeAdvert(a, { src: "1.1.1.1", dst: "2.2.2.2" })).toThrow(/whole seconds/);
    expect(() =>
      encodeAdvert({ ...a, version: 3, intervalMs: 50000 }, { src: "1.1.1.1", dst: "2.2.2.2" }),
    ).toThrow(/40950/);
  });
});

describe("receive validation counts each drop", () => {
  const mutate = (frame: string, at: number, val: number) => {
    const p = ipOf(frame).slice();
    p[at] = val;
    return p;
  };
  test("TTL must be 255 for multicast, any TTL for unicast", () => {
    const p = mutate(KA_V3_PRIO150, 8, 64);
    expect(validateAdvert(p, v3)).toEqual({ ok: false, reason: "ttl" });
    expect(validateAdvert(p, { ...v3, multicast: false }).ok).toBe(true);
  });
  test("checksum", () => {
    expect(validateAdvert(mutate(KA_V3_PRIO150, 20 + 7, 0), v3)).toEqual({ ok: false, reason: "checksum" });
  });
  test("version, type, VRID", () => {
    expect(validateAdvert(ipOf(KA_V3_PRIO150), v2)).toEqual({ ok: false, reason: "version" });
    expect(validateAdvert(mutate(KA_V3_PRIO150, 20, 0x32), v3)).toEqual({ ok: false, reason: "type" });
    expect(validateAdvert(ipOf(KA_V3_PRIO150), { ...v3, vrid: 54 })).toEqual({ ok: false, reason: "vrid" });
  });
  test("address count longer than the packet", () => {
    expect(validateAdvert(mutate(KA_V3_PRIO150, 23, 9), v3)).toEqual({ ok: false, reason: "length" });
  });
  test("v2 interval mismatch and password", () => {
    expect(validateAdvert(ipOf(KA_V2_PRIO150), { ...v2, intervalMs: 2000 })).toEqual({
      ok: false,
      reason: "interval",
    });
    expect(validateAdvert(ipOf(KA_V2_PRIO150), { ...v2, authPass: "wrong" })).toEqual({
      ok: false,
      reason: "auth",
    });
    expect(validateAdvert(ipOf(KA_V2_PRIO150), { ...v2, authPass: undefined })).toEqual({
      ok: false,
      reason: "auth",
    });
  });
  test("v3 accepts another interval (the backup adopts it)", () => {
    expect(validateAdvert(ipOf(KA_V3_PRIO150), { ...v3, intervalMs: 200 }).ok).toBe(true);
  });
  test("own packets, other interface, address list", () => {
    expect(validateAdvert(ipOf(KA_V3_PRIO150), { ...v3, own: ["10.99.0.1"] })).toEqual({
      ok: false,
      reason: "own",
    });
    expect(validateAdvert(ipOf(KA_V3_PRIO150), { ...v3, ifindex: 3, expectIfindex: 4 })).toEqual({
      ok: false,
      reason: "interface",
    });
    expect(validateAdvert(ipOf(KA_V3_PRIO150), { ...v3, addresses: ["10.99.0.100"] })).toEqual({
      ok: false,
      reason: "addresses",
    });
  });
  test("truncated and non-IPv4 input", () => {
    expect(validateAdvert(ipOf(KA_V3_PRIO150).subarray(0, 24), v3)).toEqual({ ok: false, reason: "short" });
    expect(validateAdvert(new Uint8Array(40), v3)).toEqual({ ok: false, reason: "short" });
  });
});
