import { describe, expect, test } from "bun:test";
import { canonicalIp, compareIp, formatIp, isLinkLocal6, parseIp } from "../../core/net/ip.ts";
import {
  decodeAdvert,
  encodeAdvert,
  parseIpv6,
  pseudoHeader,
  validateVrrp,
  vrrpChecksum,
} from "../../core/vrrp/packet.ts";
import { E_V6 as v3, ipBytes, KA6_PRIO0, KA6_PRIO150, SRC6 as SRC, VIPS6 as VIPS } from "./captures.ts";

const ipOf = (frame: string) => parseIpv6(ipBytes(frame))!;

describe("IPv6 addresses", () => {
  test("parse and format canonically (RFC 5952)", () => {
    expect(canonicalIp("FD00:0099:0:0:0:0:0:0100")).toBe("fd00:99::100");
    expect(canonicalIp("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIp("::")).toBe("::");
    expect(canonicalIp("::1")).toBe("::1");
    expect(canonicalIp("1::")).toBe("1::");
    expect(canonicalIp("::ffff:10.0.0.1")).toBe("::ffff:a00:1");
    expect(canonicalIp("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2:3:4:5:6");
    // A single zero group is not shortened.
    expect(formatIp(parseIp("2001:db8:0:1:1:1:1:1")!)).toBe("2001:db8:0:1:1:1:1:1");
  });

  test("refuse malformed text", () => {
    for (const bad of [
      "1::2::3",
      "12345::",
      "2001:db8::1%eth0",
      "fe80::1%",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      ":::",
      "g::1",
      "",
    ])
      expect(parseIp(bad)).toBeUndefined();
    expect(() => canonicalIp("1::2::3")).toThrow('"1::2::3"');
  });

  test("compare in byte order, both families", () => {
    expect(compareIp("fe80::2", "fe80::10")).toBeLessThan(0);
    expect(compareIp("fe80::1:0", "fe80::ffff")).toBeGreaterThan(0);
    expect(compareIp("fe80::1", "FE80:0::1")).toBe(0);
    expect(compareIp("10.0.0.9", "10.0.0.10")).toBeLessThan(0);
    expect(isLinkLocal6(SRC)).toBe(true);
    expect(isLinkLocal6("fd00::1")).toBe(false);
  });
});

describe("keepalived IPv6 fixtures", () => {
  test("the header split gives hop limit, source and destination", () => {
    const ip = ipOf(KA6_PRIO150);
    expect(ip).toMatchObject({ ttl: 255, protocol: 112, src: SRC, dst: "ff02::12" });
    expect(ip.payload.length).toBe(40);
  });

  test("v3 advert validates with the IPv6 pseudo-header checksum", () => {
    const r = validateVrrp(ipOf(KA6_PRIO150), v3);
    expect(r).toMatchObject({ ok: true, src: SRC });
    if (!r.ok) return;
    expect(r.advert).toMatchObject({
      version: 3,
      vrid: 54,
      priority: 150,
      intervalMs: 1000,
      addresses: VIPS,
    });
  });

  test("priority 0 resignation", () => {
    const r = validateVrrp(ipOf(KA6_PRIO0), v3);
    expect(r.ok && r.advert.priority).toBe(0);
  });

  test("our encoder produces keepalived's exact bytes", () => {
    const ip = ipOf(KA6_PRIO150);
    const ours = encodeAdvert(
      { version: 3, vrid: 54, priority: 150, intervalMs: 1000, addresses: VIPS },
      { src: SRC, dst: "ff02::12" },
    );
    expect(Buffer.from(ours).toString("hex")).toBe(Buffer.from(ip.payload).toString("hex"));
    const zero = encodeAdvert(
      { version: 3, vrid: 54, priority: 0, intervalMs: 1000, addresses: VIPS },
      { src: SRC, dst: "ff02::12" },
    );
    expect(Buffer.from(zero).toString("hex")).toBe(Buffer.from(ipOf(KA6_PRIO0).payload).toString("hex"));
  });

  test("the checksum fails without the pseudo-header, or with another source", () => {
    const ip = ipOf(KA6_PRIO150);
    expect(vrrpChecksum(ip.payload, { src: ip.src, dst: ip.dst })).toBe(0);
    expect(vrrpChecksum(ip.payload)).not.toBe(0);
    expect(vrrpChecksum(ip.payload, { src: "fe80::1", dst: ip.dst })).not.toBe(0);
    expect(validateVrrp({ ...ip, src: "fe80::1" }, v3)).toEqual({ ok: false, reason: "checksum" });
  });
});

describe("IPv6 receive checks", () => {
  const ip = () => ipOf(KA6_PRIO150);
  test("hop limit other than 255 is dropped on multicast, kept for unicast peers", () => {
    expect(validateVrrp({ ...ip(), ttl: 254 }, v3)).toEqual({ ok: false, reason: "ttl" });
    expect(validateVrrp({ ...ip(), ttl: 64 }, { ...v3, multicast: false }).ok).toBe(true);
  });
  test("own adverts, other VRIDs, other VIP lists", () => {
    expect(validateVrrp(ip(), { ...v3, own: ["FE80::D01A:5CFF:FEE5:1F9E"] })).toEqual({
      ok: false,
      reason: "own",
    });
    expect(validateVrrp(ip(), { ...v3, vrid: 55 })).toEqual({ ok: false, reason: "vrid" });
    expect(validateVrrp(ip(), { ...v3, addresses: ["fd00:99::100"] })).toEqual({
      ok: false,
      reason: "addresses",
    });
    // Another spelling of the same VIPs still matches.
    expect(validateVrrp(ip(), { ...v3, addresses: ["fd00:99:0::101", "FD00:99::100"] }).ok).toBe(true);
  });
  test("check_unicast_src: a source outside the peer list is a peer drop, any spelling of a peer passes", () => {
    expect(validateVrrp(ip(), { ...v3, multicast: false, peers: ["fe80::1"] })).toEqual({
      ok: false,
      reason: "peer",
    });
    expect(
      validateVrrp(ip(), { ...v3, multicast: false, peers: ["fe80::1", "FE80::D01A:5CFF:FEE5:1F9E"] }).ok,
    ).toBe(true);
    expect(validateVrrp(ip(), { ...v3, multicast: false, peers: undefined }).ok).toBe(true);
  });
  test("a truncated address list is a length drop, a v2 header over IPv6 a version drop", () => {
    const p = ip();
    expect(validateVrrp({ ...p, payload: p.payload.subarray(0, 30) }, v3)).toEqual({
      ok: false,
      reason: "length",
    });
    const v2 = p.payload.slice();
    v2[0] = 0x21;
    expect(validateVrrp({ ...p, payload: v2 }, { ...v3, version: 2 })).toEqual({
      ok: false,
      reason: "version",
    });
  });
});

describe("IPv6 encoding", () => {
  test("round trip with 16-byte addresses", () => {
    const a = { version: 3 as const, vrid: 7, priority: 200, intervalMs: 250, addresses: ["2001:db8::1"] };
    const msg = encodeAdvert(a, { src: "fe80::1", dst: "ff02::12" });
    expect(msg.length).toBe(8 + 16);
    expect(decodeAdvert(msg, 6)).toMatchObject(a);
    expect(vrrpChecksum(msg, { src: "fe80::1", dst: "ff02::12" })).toBe(0);
  });
  test("the pseudo-header is 40 bytes: length as 32 bits, next header 112 last", () => {
    const ph = pseudoHeader("fe80::1", "ff02::12", 40);
    expect(ph.length).toBe(40);
    expect([...ph.subarray(32)]).toEqual([0, 0, 0, 40, 0, 0, 0, 112]);
    expect(() => pseudoHeader("fe80::1", "224.0.0.18", 8)).toThrow("one address family");
  });
  test("mixed families and v2 over IPv6 are refused", () => {
    const base = { vrid: 1, priority: 100, intervalMs: 1000 };
    expect(() =>
      encodeAdvert(
        { ...base, version: 3, addresses: ["10.0.0.1", "fd00::1"] },
        { src: "fe80::1", dst: "ff02::12" },
      ),
    ).toThrow("one family");
    expect(() =>
      encodeAdvert({ ...base, version: 2, addresses: ["fd00::1"] }, { src: "fe80::1", dst: "ff02::12" }),
    ).toThrow("version 3");
    expect(() =>
      encodeAdvert({ ...base, version: 3, addresses: ["fd00::g"] }, { src: "fe80::1", dst: "ff02::12" }),
    ).toThrow('"fd00::g"');
  });
});
