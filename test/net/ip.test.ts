// The one address parser and formatter: RFC 5952 text, the zone rule, CIDR matching across families,
// endpoint forms and their messages.

import { describe, expect, test } from "bun:test";
import { formatCidr, matchCidr, parseCidr, readCidr } from "../../core/net/cidr.ts";
import { endpointOf, readEndpoint } from "../../core/net/endpoint.ts";
import { canonicalIp, formatIp, ipAddress, isLoopback, parseIp, readIp } from "../../core/net/ip.ts";

describe("RFC 5952 text", () => {
  test.each([
    ["2001:db8:0:0:0:0:0:1", "2001:db8::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:db8:0:1:0:0:0:0", "2001:db8:0:1::"],
    ["2001:DB8:0000:0001:0001:0001:0001:0001", "2001:db8:0:1:1:1:1:1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::ffff:10.0.0.1", "::ffff:a00:1"],
    ["FE80::0:1%eth0", "fe80::1%eth0"],
    ["010.0.0.1", "10.0.0.1"],
  ])("%s -> %s", (text, want) => {
    expect(canonicalIp(text)).toBe(want);
  });
});

describe("the zone rule", () => {
  test("kept as its own field on a link-local address, never in the bytes", () => {
    const a = ipAddress("fe80::1%eth0");
    expect(a.zone).toBe("eth0");
    expect(a.bytes).toEqual(ipAddress("fe80::1").bytes);
    expect(formatIp(a)).toBe("fe80::1%eth0");
    expect(formatIp(a.bytes)).toBe("fe80::1");
    expect(ipAddress("fe80::1%3").zone).toBe("3");
  });
  test.each([
    ["2001:db8::1%eth0", 'a zone belongs only on a link-local (fe80::/10) address; remove "%eth0"'],
    ["10.0.0.1%eth0", 'an IPv4 address has no zone; remove "%eth0"'],
    ["fe80::1%", '"%" is not a zone; write an interface name such as "%eth0"'],
    ["fe80::1%a b", '"%a b" is not a zone'],
  ])("refused on %s with the reason", (text, why) => {
    const r = readIp(text);
    expect(r.ok ? "accepted" : r.error).toContain(why);
    expect(parseIp(text)).toBeUndefined();
    expect(() => ipAddress(text)).toThrow(`Cannot use ${JSON.stringify(text)} as an IP address`);
  });
  test("a CIDR prefix takes no zone", () => {
    const r = readCidr("fe80::/10%eth0");
    expect(r.ok).toBe(false);
    expect(readCidr("fe80::1%eth0/64")).toMatchObject({
      ok: false,
      error: expect.stringContaining("takes no zone"),
    });
  });
});

describe("CIDR", () => {
  test("matching within and across families", () => {
    const net = parseCidr("10.0.0.0/8")!;
    expect(matchCidr(net, "10.1.2.3")).toBe(true);
    expect(matchCidr(net, "::ffff:10.1.2.3")).toBe(true);
    expect(matchCidr(net, "11.0.0.1")).toBe(false);
    expect(matchCidr(parseCidr("fe80::/10")!, "fe80::1%eth0")).toBe(true);
    expect(matchCidr(parseCidr("::/0")!, "10.0.0.1")).toBe(true);
    expect(formatCidr(parseCidr("2001:DB8::/32")!)).toBe("2001:db8::/32");
  });
});

describe("loopback", () => {
  test.each([
    ["127.0.0.1", true],
    ["127.9.9.9", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["10.0.0.1", false],
    ["::2", false],
    ["fe80::1%lo", false],
  ])("%s", (text, want) => {
    expect(isLoopback(ipAddress(text))).toBe(want);
  });
});

describe("endpoints", () => {
  test("forms", () => {
    expect(endpointOf("10.0.0.1:80")).toEqual({
      kind: "inet",
      host: "10.0.0.1",
      port: 80,
      family: 4,
      text: "10.0.0.1:80",
    });
    expect(endpointOf("[2001:DB8::1]:443")).toEqual({
      kind: "inet",
      host: "2001:db8::1",
      port: 443,
      family: 6,
      text: "[2001:db8::1]:443",
    });
    expect(endpointOf("[fe80::1%eth0]:80")).toMatchObject({
      host: "fe80::1%eth0",
      zone: "eth0",
      text: "[fe80::1%eth0]:80",
    });
    expect(endpointOf("unix:/run/x.sock")).toEqual({
      kind: "unix",
      path: "/run/x.sock",
      text: "unix:/run/x.sock",
    });
    expect(endpointOf("/run/x.sock")).toEqual({
      kind: "unix",
      path: "/run/x.sock",
      text: "unix:/run/x.sock",
    });
    expect(endpointOf("10.0.0.1", 25)).toMatchObject({ port: 25, text: "10.0.0.1:25" });
    expect(endpointOf("[::1]", 53)).toMatchObject({ host: "::1", port: 53 });
  });
  test.each([
    [
      "app.internal:8080",
      '"app.internal" is not an IPv4 or IPv6 address; tcpvs does not resolve host names, write the address, e.g. "10.0.0.1:8080"',
    ],
    ["::1:80", 'write IPv6 addresses in brackets, e.g. "[::1]:80"'],
    ["[10.0.0.1]:80", 'brackets are for IPv6 only; write "10.0.0.1"'],
    ["10.0.0.1", 'a port is required, e.g. "10.0.0.1:80"'],
    ["10.0.0.1:0", 'port "0" is not in 1-65535'],
    ["10.0.0.1:http", 'port "http" is not in 1-65535'],
    ["unix:run/x", "the unix socket path must be absolute"],
  ])("%s is refused: %s", (text, why) => {
    const r = readEndpoint(text);
    expect(r.ok ? "accepted" : r.error).toBe(`invalid address ${JSON.stringify(text)}: ${why}`);
    expect(() => endpointOf(text)).toThrow(`Cannot use address ${JSON.stringify(text)}: ${why}`);
  });
});
