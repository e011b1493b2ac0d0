import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../../core/log/logger.ts";
import { NotifyQueue } from "../../core/vrrp/notify.ts";
import { effectivePriority, RiseFall } from "../../core/vrrp/track.ts";
import { validateVrrpConfig } from "../../core/vrrp/validate.ts";
import { vrrpDefaults } from "./config.ts";

describe("effectivePriority", () => {
  test("weight 0 failure is a fault; negative weights subtract while failing; positive add while ok", () => {
    expect(effectivePriority(100, [{ id: "interface:eth1", weight: 0, ok: false }])).toMatchObject({
      fault: true,
      reason: "failed: interface:eth1",
    });
    expect(
      effectivePriority(100, [
        { id: "pool:web", weight: -30, ok: false },
        { id: "script:chk", weight: 10, ok: true },
        { id: "script:other", weight: 10, ok: false },
        { id: "pool:api", weight: -50, ok: true },
      ]),
    ).toEqual({ priority: 80, fault: false, reason: "lowered by: pool:web" });
  });
  test("clamped to 1..254; the owner keeps 255", () => {
    expect(effectivePriority(10, [{ id: "p", weight: -50, ok: false }]).priority).toBe(1);
    expect(effectivePriority(250, [{ id: "s", weight: 50, ok: true }]).priority).toBe(254);
    expect(effectivePriority(255, [{ id: "p", weight: -50, ok: false }]).priority).toBe(255);
  });
});

describe("RiseFall", () => {
  test("flips only after fall failures, then rise successes", () => {
    const rf = new RiseFall(2, 3);
    expect([rf.feed(false), rf.feed(false), rf.ok]).toEqual([false, false, true]);
    expect(rf.feed(true)).toBe(false); // streak reset
    expect([rf.feed(false), rf.feed(false), rf.feed(false), rf.ok]).toEqual([false, false, true, false]);
    expect([rf.feed(true), rf.feed(true), rf.ok]).toEqual([false, true, true]);
  });
});

describe("validateVrrpConfig", () => {
  const ok = vrrpDefaults({ name: "v", virtual_ipaddress: [{ address: "10.0.0.1", prefix: 24 }] });
  test("accepts a sane config, IPv4 or IPv6", () => {
    expect(() => validateVrrpConfig(ok)).not.toThrow();
    const v6 = {
      ...ok,
      virtual_ipaddress: [{ address: "fd00::100", prefix: 64 }],
      unicast_peer: ["fe80::2"],
      unicast_src_ip: "fe80::1",
    };
    expect(() => validateVrrpConfig(v6)).not.toThrow();
  });
  test.each([
    [{ virtual_router_id: 0 }, /virtual_router_id: 0 is out of range: expected 1-255/],
    [{ priority: 256 }, /priority: 256 is out of range: expected 1-255/],
    [{ version: 2 as const, advert_int: 1500 }, /whole seconds.*"1500 ms"/],
    [{ version: 3 as const, advert_int: 5 }, /advert_int: duration "5ms" is too short: at least 10 ms/],
    [{ version: 3 as const, advert_int: 15 }, /multiple of 10 ms/],
    [{ virtual_ipaddress: [] }, /virtual_ipaddress: add at least one address/],
    [
      { version: 2 as const, virtual_ipaddress: [{ address: "fd00::1", prefix: 64 }] },
      /version: version = 2 cannot carry IPv6 VIPs/,
    ],
    [
      {
        virtual_ipaddress: [
          { address: "fd00::1", prefix: 64 },
          { address: "10.0.0.1", prefix: 24 },
        ],
      },
      /virtual_ipaddress\[1\]: VIP "10.0.0.1" is not IPv6 like the first VIP/,
    ],
    [
      { virtual_ipaddress: [{ address: "fd00::1", prefix: 129 }] },
      /invalid CIDR "fd00::1\/129": prefix must be 0-128/,
    ],
    [{ virtual_ipaddress: [{ address: "10.0.0.1", prefix: 33 }] }, /prefix must be 0-32/],
    [
      { virtual_ipaddress: [{ address: "fd00::1", prefix: 64 }], unicast_peer: ["10.0.0.2"] },
      /invalid unicast peer "10.0.0.2": expected an IPv6 address/,
    ],
    [{ unicast_src_ip: "fd00::2" }, /invalid address "fd00::2": expected an IPv4 address/],
    [{ auth_pass: "x" }, /VRRPv3 has no authentication/],
    [{ version: 2 as const, auth_pass: "123456789" }, /Shorten auth_pass/],
    [{ unicast_peer: ["10.0.0.300"] }, /invalid unicast peer "10.0.0.300": expected an IPv4 address/],
  ])("refuses %j", (patch, re) => {
    expect(() => validateVrrpConfig({ ...ok, ...patch })).toThrow(re);
  });
});

describe("NotifyQueue", () => {
  test("runs scripts in order, with keepalived's arguments, and logs failures", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tcpvs-notify-"));
    try {
      const out = join(dir, "out");
      const { logger, lines } = memoryLogger();
      const q = new NotifyQueue(logger);
      // The first script is slow: a racing second one would write first.
      q.run(`sleep 0.2; echo first >> ${out}`);
      q.run(`echo >> ${out}`, ["INSTANCE", "VI", "MASTER", "150"]);
      q.run("exit 3");
      await q.idle();
      expect(readFileSync(out, "utf8")).toBe("first\nINSTANCE VI MASTER 150\n");
      expect(lines.some((l) => l.includes("notify script failed") && l.includes('"code":3'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
