import { describe, expect, test } from "bun:test";
import {
  decodeAdvert,
  encodeAdvert,
  parseIpv4,
  validateAdvert,
  vrrpChecksum,
} from "../../core/vrrp/packet.ts";
import {
  E_V2 as v2,
  E_V3 as v3,
  ipBytes as ipOf,
  KA_V2_PRIO0,
  KA_V2_PRIO150,
  KA_V3_PRIO0,
  KA_V3_PRIO150,
  VIPS4 as VIPS,
} from "./captures.ts";

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
