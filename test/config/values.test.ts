import { describe, expect, test } from "bun:test";
import { nearest, parseCidr, parseDuration, parseEndpoint } from "../../core/config/values.ts";

describe("parseDuration", () => {
  test.each([
    ["2s", 2000],
    ["500ms", 500],
    ["1m30s", 90_000],
    ["1.5s", 1500],
    ["1h", 3_600_000],
    ["0s", 0],
  ])("%p is %p ms", (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: ms });
  });

  test.each(["2", "2 s", "2sec", "", "s", "-1s", "1m30", "ms5"])("refuses %p", (text) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(`"${text}"`);
  });

  test("refuses a number without unit, suggesting the unit", () => {
    const r = parseDuration(5);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('a bare number has no unit; write "5s"');
  });
});

describe("parseEndpoint", () => {
  test("IPv4 with port", () => {
    expect(parseEndpoint("10.0.0.1:80")).toEqual({
      ok: true,
      value: { kind: "inet", host: "10.0.0.1", port: 80, family: 4, text: "10.0.0.1:80" },
    });
  });
  test("IPv6 in brackets", () => {
    const r = parseEndpoint("[::1]:8080");
    expect(
      r.ok &&
        r.value.kind === "inet" &&
        r.value.host === "::1" &&
        r.value.port === 8080 &&
        r.value.family === 6,
    ).toBe(true);
  });
  test("unix socket", () => {
    expect(parseEndpoint("unix:/run/x.sock")).toEqual({
      ok: true,
      value: { kind: "unix", path: "/run/x.sock", text: "unix:/run/x.sock" },
    });
  });
  test("default port for a bare host", () => {
    const r = parseEndpoint("127.0.0.1", 25);
    expect(r.ok && r.value.kind === "inet" && r.value.port).toBe(25);
  });
  test.each([
    ["10.0.0.1", "port is required"],
    ["10.0.0.1:0", "not in 1-65535"],
    ["10.0.0.1:65536", "not in 1-65535"],
    ["10.0.0.1:8o", "not in 1-65535"],
    ["example.com:80", "not an IPv4 or IPv6"],
    ["::1:80", "brackets"],
    ["[::1", 'missing "]"'],
    ["unix:relative", "absolute"],
    ["300.1.1.1:80", "not an IPv4 or IPv6"],
  ])("refuses %p (%s)", (text, why) => {
    const r = parseEndpoint(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(why);
  });
});

describe("parseCidr", () => {
  test("with and without prefix", () => {
    expect(parseCidr("10.0.0.0/8")).toEqual({
      ok: true,
      value: { address: "10.0.0.0", prefix: 8, family: 4 },
    });
    expect(parseCidr("2001:db8::1")).toEqual({
      ok: true,
      value: { address: "2001:db8::1", prefix: 128, family: 6 },
    });
  });
  test.each(["10.0.0.0/33", "10.0.0/8", "::/129", "x/1"])("refuses %p", (text) => {
    expect(parseCidr(text).ok).toBe(false);
  });
});

describe("nearest", () => {
  test("finds a likely typo and nothing for a far word", () => {
    expect(nearest("schedular", ["scheduler", "server"])).toBe("scheduler");
    expect(nearest("intreval", ["interval", "timeout"])).toBe("interval");
    expect(nearest("zzzzzz", ["interval", "timeout"])).toBeUndefined();
  });
});
