// Rate limits and max_connections_per_source through a real listener: a request over its limit gets
// 429 with Retry-After and never reaches a server; keys by source, header and cookie; the limiter's
// arithmetic and its LRU bound on the side.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LocalRateLimiter } from "../../core/switch/rate-limiter.ts";
import { exchange, GET, type Rig, rig, TestBackend } from "./helpers.ts";

const rate = (count: number, ms: number) => ({ count, ms });

describe("rate limits", () => {
  let r: Rig;
  let b: TestBackend;
  beforeAll(async () => {
    b = new TestBackend("b");
    r = await rig(
      { web: [b] },
      {
        access_log: true,
        limit: [
          { key: "source", rate: rate(3, 60_000), burst: 0, max_keys: 100, path_prefix: "/login" },
          { key: "header:X-Api-Key", rate: rate(1, 60_000), burst: 1, max_keys: 100, path_prefix: "/api" },
          { key: "cookie:session", rate: rate(1, 60_000), burst: 0, max_keys: 100, path_prefix: "/shop" },
        ],
      },
    );
  });
  afterAll(async () => {
    await r.stop();
  });

  const seen = (path: string) => b.requests.filter((q) => q.target === path).length;

  test("by source: over the rate is 429 with Retry-After, and the server saw none of those", async () => {
    const statuses: number[] = [];
    let retry = "";
    for (let i = 0; i < 6; i++) {
      const { responses } = await exchange(r.port, GET("/login"));
      statuses.push(responses[0]!.status);
      if (responses[0]!.status === 429) retry = responses[0]!.headers["retry-after"] ?? "";
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    expect(seen("/login")).toBe(3);
    // One request is worth 20 s at 3 per minute.
    expect(Number(retry)).toBeGreaterThan(0);
    expect(Number(retry)).toBeLessThanOrEqual(20);
    // Paths the limit does not match are not counted.
    expect((await exchange(r.port, GET("/other"))).responses[0]!.status).toBe(200);
    const line = r.lines.filter((l) => l.includes('"uri":"/login"')).at(-1) ?? "";
    expect(line).toMatch(/"term":"limited"/);
    expect(line).toMatch(/"status":429/);
  });

  test("by header: each key has its own counter (burst 1 lets two through); no header, no limit", async () => {
    const st = async (key: string | undefined) =>
      (await exchange(r.port, GET("/api", key ? `X-Api-Key: ${key}\r\n` : ""))).responses[0]!.status;
    expect([await st("a"), await st("a"), await st("a")]).toEqual([200, 200, 429]);
    expect(await st("b")).toBe(200);
    expect([await st(undefined), await st(undefined), await st(undefined)]).toEqual([200, 200, 200]);
    expect(seen("/api")).toBe(6);
    // Long keys are counted by their hash: still one counter per value.
    const long = "k".repeat(5000);
    expect([await st(long), await st(long), await st(long), await st(`${long}2`)]).toEqual([
      200, 200, 429, 200,
    ]);
  });

  test("by cookie", async () => {
    const st = async (c: string) =>
      (await exchange(r.port, GET("/shop", `Cookie: x=1; session=${c}\r\n`))).responses[0]!.status;
    expect([await st("s1"), await st("s1"), await st("s2")]).toEqual([200, 429, 200]);
  });
});

describe("max_connections_per_source", () => {
  test("a second connection from the same address is closed; the first is served", async () => {
    const b = new TestBackend("b");
    const r = await rig({ web: [b] }, { max_connections_per_source: 1 });
    try {
      const first = await Bun.connect({ hostname: "127.0.0.1", port: r.port, socket: { data() {} } });
      await Bun.sleep(20);
      const second = await exchange(r.port, GET("/"), { timeoutMs: 1000 });
      expect(second.responses).toEqual([]);
      expect(second.closed).toBe(true);
      expect(r.cluster.counters.get("reject.max_connections_per_source")).toBe(1);
      first.end();
      await Bun.sleep(50);
      // The first one gone, the address may connect again.
      expect((await exchange(r.port, GET("/"))).responses[0]!.status).toBe(200);
    } finally {
      await r.stop();
    }
  });
});

describe("LocalRateLimiter", () => {
  // Its arithmetic: the conformance suite in shared-limits.test.ts, shared with SharedRateLimiter.
  test("keys are bounded: the least recently used goes first", () => {
    const l = new LocalRateLimiter(1, 60_000, 0, 2);
    l.take("a", 0);
    l.take("b", 0);
    expect(l.take("a", 1)).toBeGreaterThan(0); // refused: a refusal does not refresh a key
    l.take("c", 2); // evicts a (least recently used)
    expect(l.size).toBe(2);
    expect(l.take("a", 3)).toBe(0); // a starts afresh
    expect(l.take("c", 3)).toBeGreaterThan(0);
  });
});
