import { describe, expect, test } from "bun:test";
import { hashString } from "../../core/sched/hash.ts";
import { ipKey, parseGranularity } from "../../core/sched/ip-key.ts";
import { keyHash, parseKey, type KeySpec } from "../../core/sched/key.ts";
import { createScheduler } from "../../core/sched/registry.ts";
import { ctx, servers, testEnv } from "./helpers.ts";

const spec = (text: string) => parseKey(text) as KeySpec;

describe("hash keys", () => {
  test("a rule's capture group (hashKey) wins over the configured key", () => {
    const c = ctx({ hashKey: "user-42", uri: "/a" });
    expect(keyHash(c, spec("uri"), 0)).toBe(hashString("user-42"));
    expect(keyHash(c, spec("header:x-user"), 0)).toBe(hashString("user-42"));
  });

  test("uri, path, host (case-folded), host_path and host_uri", () => {
    const a = ctx({ host: "Example.TEST", uri: "/p?q=1" });
    const b = ctx({ host: "example.test", uri: "/p?q=2" });
    expect(keyHash(a, spec("uri"), 0)).not.toBe(keyHash(b, spec("uri"), 0));
    expect(keyHash(a, spec("path"), 0)).toBe(keyHash(b, spec("path"), 0));
    expect(keyHash(a, spec("host"), 0)).toBe(keyHash(b, spec("host"), 0));
    expect(keyHash(a, spec("host_path"), 0)).toBe(keyHash(b, spec("host_path"), 0));
    expect(keyHash(a, spec("host_uri"), 0)).not.toBe(keyHash(b, spec("host_uri"), 0));
    expect(keyHash(a, spec("uri"), 0)).toBe(hashString("/p?q=1"));
  });

  test("header, cookie and query parameter values", () => {
    const a = ctx({ uri: "/x?a=1&user=bob&z", headers: { "x-user": "bob" }, cookies: { sid: "bob" } });
    const b = ctx({ uri: "/y?user=bob", headers: { "x-user": "bob" }, cookies: { sid: "bob" } });
    for (const k of ["header:X-User", "cookie:sid", "param:user"]) {
      expect(keyHash(a, spec(k), 0)).toBe(hashString("bob"));
      expect(keyHash(b, spec(k), 0)).toBe(hashString("bob"));
    }
    expect(keyHash(ctx({ uri: "/?username=bob" }), spec("param:user"), 0)).not.toBe(hashString("bob"));
  });

  test("a missing part falls back to the source address", () => {
    const c = ctx({ sourceIp: "192.0.2.9", uri: "/" });
    expect(keyHash(c, spec("header:x-none"), 0)).toBe(hashString("192.0.2.9"));
    expect(keyHash(ctx({ sourceIp: "192.0.2.9" }), spec("uri"), 0)).toBe(hashString("192.0.2.9"));
  });

  test("bad key forms are rejected with the value quoted", () => {
    expect(parseKey("header:")).toContain('"header:"');
    expect(parseKey("ur")).toContain('"ur"');
    expect(parseKey("cookie:a b")).toContain('"cookie:a b"');
  });
});

describe("ipKey", () => {
  test("IPv4 masking and IPv6 forms", () => {
    expect(ipKey("10.1.2.3", 0xffffff00, 128)).toBe(ipKey("10.1.2.200", 0xffffff00, 128));
    expect(ipKey("10.1.2.3", 0xffffffff, 128)).toBe(0x0a010203);
    expect(ipKey("::ffff:10.1.2.3", 0xffffffff, 128)).toBe(0x0a010203);
    expect(ipKey("2001:db8::1", 0xffffffff, 128)).toBe(ipKey("2001:0db8:0:0:0:0:0:1", 0xffffffff, 128));
    expect(ipKey("::", 0xffffffff, 128)).toBe(ipKey("0:0:0:0:0:0:0:0", 0xffffffff, 128));
    expect(ipKey("2001:db8::", 0xffffffff, 128)).toBe(ipKey("2001:db8:0:0:0:0:0:0", 0xffffffff, 128));
    expect(ipKey("fe80::1%eth0", 0xffffffff, 128)).toBe(ipKey("fe80::1", 0xffffffff, 128));
    expect(ipKey("2001:db8::1", 0xffffffff, 48)).toBe(ipKey("2001:db8:0:ffff::9", 0xffffffff, 48));
    expect(ipKey("2001:db8::1", 0xffffffff, 48)).not.toBe(ipKey("2001:db9::1", 0xffffffff, 48));
    expect(ipKey("2001:db8::1", 0xffffffff, 128)).toBeGreaterThan(2 ** 32);
  });

  test("malformed text still gives a stable key, apart from real addresses", () => {
    for (const bad of ["1.2.3", "1.2.3.256", "1::2::3", "12345::", "", "unix"]) {
      expect(ipKey(bad, 0xffffffff, 128)).toBe(ipKey(bad, 0xffffffff, 128));
      expect(ipKey(bad, 0xffffffff, 128)).toBeGreaterThan(2 ** 32);
    }
  });

  test("granularity parsing", () => {
    expect(parseGranularity("")).toEqual({ v4Mask: 0xffffffff, v6Prefix: 128 });
    expect(parseGranularity("255.255.255.0")).toEqual({ v4Mask: 0xffffff00, v6Prefix: 128 });
    expect(parseGranularity("/64")).toEqual({ v4Mask: 0xffffffff, v6Prefix: 64 });
    expect(parseGranularity("255.255.0.0,48")).toEqual({ v4Mask: 0xffff0000, v6Prefix: 48 });
    expect(parseGranularity("255.0.255.0")).toContain('"255.0.255.0"');
    expect(parseGranularity("0")).toContain('"0"');
    expect(parseGranularity("64x")).toContain('"64x"');
  });
});

describe("sh and dh", () => {
  test("sh: a client sticks; port option spreads its ports", () => {
    const list = servers([1, 1, 1, 1]);
    const plain = createScheduler("sh", list, {}, testEnv());
    const ported = createScheduler("sh", list, { port: true }, testEnv());
    const ids = (s: typeof plain) =>
      new Set(
        Array.from(
          { length: 100 },
          (_, p) => s.pick(ctx({ sourceIp: "10.9.9.9", sourcePort: 2000 + p }))!.id,
        ),
      );
    expect(ids(plain).size).toBe(1);
    expect(ids(ported).size).toBe(4);
  });

  test("sh: a down server's clients fall back; everyone else stays; without fallback they get none", () => {
    const list = servers([1, 1, 1, 1, 1]);
    const sched = createScheduler("sh", list, {}, testEnv());
    const strict = createScheduler("sh", list, { fallback: false }, testEnv());
    const ips = Array.from({ length: 3000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const before = ips.map((ip) => sched.pick(ctx({ sourceIp: ip }))!.id);
    list[1]!.up = false;
    sched.update();
    strict.update();
    const after = ips.map((ip) => sched.pick(ctx({ sourceIp: ip }))!.id);
    ips.forEach((ip, i) => {
      if (before[i] !== "s1") expect(after[i]).toBe(before[i]!);
      else {
        expect(after[i]).not.toBe("s1");
        expect(strict.pick(ctx({ sourceIp: ip }))).toBeUndefined();
      }
    });
    // The fallback spreads the orphaned clients instead of piling them on one neighbour.
    const orphans = new Set(after.filter((_, i) => before[i] === "s1"));
    expect(orphans.size).toBeGreaterThan(2);
  });

  test("dh hashes Host + path by default, ignoring the client", () => {
    const list = servers([1, 1, 1, 1, 1, 1]);
    const sched = createScheduler("dh", list, {}, testEnv());
    const paths = Array.from({ length: 200 }, (_, i) => `/img/${i}.png`);
    const a = paths.map(
      (p) => sched.pick(ctx({ sourceIp: "10.0.0.1", host: "cdn.test", uri: `${p}?v=1` }))!.id,
    );
    const b = paths.map((p) => sched.pick(ctx({ sourceIp: "10.0.0.2", host: "CDN.test", uri: p }))!.id);
    expect(b).toEqual(a);
    expect(new Set(a).size).toBe(6);
  });
});
