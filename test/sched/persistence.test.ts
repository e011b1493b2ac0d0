import { describe, expect, test } from "bun:test";
import { SchedulerError } from "../../core/sched/errors.ts";
import { createPoolScheduling, type PoolSchedulingConfig } from "../../core/sched/registry.ts";
import type { SchedServer } from "../../core/sched/types.ts";
import { ctx, servers, type TestEnv, testEnv } from "./helpers.ts";

function pool(over: Partial<PoolSchedulingConfig> = {}): PoolSchedulingConfig {
  return {
    scheduler: "rr",
    scheduler_options: {},
    persistence_timeout: 300000,
    persistence_granularity: "",
    ...over,
  };
}

function setup(over: Partial<PoolSchedulingConfig> = {}, weights = [1, 1, 1, 1]) {
  const list = servers(weights);
  const env = testEnv();
  const { scheduler, cookie } = createPoolScheduling(pool(over), list, env);
  const from = (ip: string) => scheduler.pick(ctx({ sourceIp: ip }))?.id;
  return { list, env, scheduler, cookie, from };
}

describe("source-address persistence", () => {
  test("a client keeps its server although rr would rotate", () => {
    const { from } = setup();
    const first = from("192.0.2.10");
    const other = from("192.0.2.11");
    expect(other).not.toBe(first);
    for (let i = 0; i < 10; i++) expect(from("192.0.2.10")).toBe(first);
  });

  test("expires `persistence_timeout` ms after the last pick (injected clock)", () => {
    const { env, from } = setup({ persistence_timeout: 1000 });
    const first = from("192.0.2.10");
    env.advance(900);
    expect(from("192.0.2.10")).toBe(first); // refreshed: alive until 1900
    env.advance(900);
    expect(from("192.0.2.10")).toBe(first);
    env.advance(1001);
    expect(from("192.0.2.10")).not.toBe(first); // rr moved on
  });

  test("IPv4 granularity 255.255.255.0 groups a /24", () => {
    const { from } = setup({ persistence_granularity: "255.255.255.0" });
    const a = from("198.51.100.1");
    expect(from("198.51.100.254")).toBe(a);
    expect(from("198.51.101.1")).not.toBe(a);
  });

  test("IPv6 granularity 64 groups a /64; IPv4-mapped addresses count as IPv4", () => {
    const { from } = setup({ persistence_granularity: "255.255.0.0, 64" });
    const a = from("2001:db8:0:1::1");
    expect(from("2001:db8:0:1:ffff:ffff:ffff:ffff")).toBe(a);
    expect(from("2001:DB8:0:1:0:0:0:7")).toBe(a);
    expect(from("2001:db8:0:2::1")).not.toBe(a);
    const b = from("10.20.0.1");
    expect(from("::ffff:10.20.99.1")).toBe(b);
    expect(from("10.21.0.1")).not.toBe(b);
  });

  test("full addresses by default: neighbours are separate clients", () => {
    const { from } = setup();
    const a = from("2001:db8::1");
    expect(from("2001:db8::2")).not.toBe(a);
    expect(from("2001:db8::1")).toBe(a);
  });

  test("a persisted server that goes down, fills up or leaves is replaced", () => {
    const { list, scheduler, from } = setup();
    const first = from("192.0.2.10")!;
    const s = list.find((x) => x.id === first)!;
    s.up = false;
    scheduler.update();
    const second = from("192.0.2.10")!;
    expect(second).not.toBe(first);
    s.up = true;
    scheduler.update();
    expect(from("192.0.2.10")).toBe(second); // the entry now names the replacement
    const t = list.find((x) => x.id === second)!;
    t.maxConnections = 1;
    t.active = 1;
    expect(from("192.0.2.10")).not.toBe(second);
    list.splice(0, list.length, ...list.filter((x) => x.id !== from("192.0.2.10")));
    scheduler.update();
    expect(list.map((x) => x.id)).toContain(from("192.0.2.10")!);
  });

  test("quiescent servers keep persisted clients unless expire_quiescent", () => {
    for (const expire of [false, true]) {
      const { list, scheduler, from } = setup({ scheduler_options: { expire_quiescent: expire } });
      const first = from("192.0.2.10")!;
      list.find((x) => x.id === first)!.weight = 0;
      scheduler.update();
      expect(from("192.0.2.10") === first).toBe(!expire);
      expect(from("192.0.2.99")).not.toBe(first); // never for a new client
    }
  });

  test("a client persisted to a backup returns to the primaries when one is back", () => {
    const list: SchedServer[] = servers([1, 1]);
    list[1]!.backup = true;
    list[0]!.up = false;
    const env: TestEnv = testEnv();
    const { scheduler } = createPoolScheduling(pool(), list, env);
    expect(scheduler.pick(ctx({ sourceIp: "192.0.2.5" }))!.id).toBe("s1");
    list[0]!.up = true;
    scheduler.update();
    expect(scheduler.pick(ctx({ sourceIp: "192.0.2.5" }))!.id).toBe("s0");
  });

  test("the table is bounded: the least recently used client is forgotten", () => {
    const { from } = setup({ scheduler_options: { persistence_table_size: 2 } }, [1, 1, 1]);
    const a = from("192.0.2.1"); // s0
    from("192.0.2.2"); // s1
    from("192.0.2.1"); // touch
    from("192.0.2.3"); // s2, evicts .2
    expect(from("192.0.2.1")).toBe(a);
    expect(from("192.0.2.2")).toBe("s0"); // rescheduled: rr's next is s0
  });

  test("wraps a latency-aware scheduler and passes done() through", () => {
    const list = servers([1, 1]);
    const { scheduler } = createPoolScheduling(pool({ scheduler: "peak_ewma" }), list, testEnv());
    expect(typeof scheduler.done).toBe("function");
    scheduler.done!(list[0]!, 500, true);
    expect(scheduler.pick(ctx({ sourceIp: "192.0.2.77" }))!.id).toBe("s1");
  });

  test("bad granularity is a SchedulerError with a clear message", () => {
    expect(() =>
      createPoolScheduling(pool({ persistence_granularity: "255.0.255.0" }), [], testEnv()),
    ).toThrow(SchedulerError);
    let caught: unknown;
    try {
      createPoolScheduling(pool({ persistence_granularity: "/200" }), [], testEnv());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SchedulerError);
    expect((caught as SchedulerError).code).toBe("bad_scheduler_options");
    expect((caught as Error).message).toContain('"/200"');
  });
});

describe("cookie persistence", () => {
  const req = (cookies: Record<string, string>) => ctx({ uri: "/", cookies });

  test("a request carrying a server's cookie value goes to that server", () => {
    const list = servers([1, 1, 1]);
    const { scheduler, cookie } = createPoolScheduling(
      pool({ persistence_timeout: 0, scheduler_options: { cookie: "SRV" } }),
      list,
      testEnv(),
    );
    expect(cookie?.name).toBe("SRV");
    const v = cookie!.value(list[2]!);
    expect(v).toMatch(/^[0-9a-f]{8}$/);
    expect(v).not.toContain("s2");
    for (let i = 0; i < 5; i++) expect(scheduler.pick(req({ SRV: v }))).toBe(list[2]!);
    // No or unknown cookie: the scheduler decides (rr rotates).
    const picks = new Set([0, 1, 2].map(() => scheduler.pick(req({ SRV: "nope" }))!.id));
    expect(picks.size).toBe(3);
  });

  test("values are stable across instances and honour down and quiescent", () => {
    const list = servers([1, 1]);
    const a = createPoolScheduling(
      pool({ persistence_timeout: 0, scheduler_options: { cookie: "S" } }),
      list,
      testEnv(),
    );
    const b = createPoolScheduling(
      pool({ persistence_timeout: 0, scheduler_options: { cookie: "S" } }),
      list,
      testEnv(),
    );
    const v = a.cookie!.value(list[1]!);
    expect(b.cookie!.value(list[1]!)).toBe(v);
    list[1]!.weight = 0;
    a.scheduler.update();
    expect(a.scheduler.pick(req({ S: v }))).toBe(list[1]!); // draining keeps its sessions
    list[1]!.up = false;
    a.scheduler.update();
    expect(a.scheduler.pick(req({ S: v }))).toBe(list[0]!);
  });

  test("no cookie wrapper and no cookie field when the option is absent", () => {
    expect(
      createPoolScheduling(pool({ persistence_timeout: 0 }), servers([1]), testEnv()).cookie,
    ).toBeUndefined();
  });
});
