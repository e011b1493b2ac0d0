// queue_timeout: with every server at its max_connections a request waits in order for a slot and is
// served when one frees, or gets 503 (term=queue_timeout) when the wait runs out. Without it, 503 at once.

import { describe, expect, test } from "bun:test";
import { exchange, GET, rig, TestBackend } from "./helpers.ts";

async function queued(queueMs: number | undefined, delayMs: number) {
  const b = new TestBackend("b", () => ({ delayMs }));
  const r = await rig(
    { web: [b] },
    { access_log: true },
    { web: queueMs === undefined ? {} : { queue_timeout: queueMs } },
  );
  r.cluster.pools.get("web")!.servers[0]!.maxConnections = 1;
  return { b, r };
}

describe("queue_timeout", () => {
  test("a queue that serves: requests wait in order for the one slot, all are answered by the server", async () => {
    const { b, r } = await queued(3000, 150);
    try {
      const t0 = performance.now();
      const done: string[] = [];
      const all = ["/1", "/2", "/3"].map(async (p, i) => {
        await Bun.sleep(i * 10);
        const x = await exchange(r.port, GET(p), { timeoutMs: 5000 });
        done.push(p);
        return x.responses[0]?.status;
      });
      expect(await Promise.all(all)).toEqual([200, 200, 200]);
      // One at a time: the server never had two, and the last waited for both before it.
      expect(b.requests.map((q) => q.target)).toEqual(["/1", "/2", "/3"]);
      expect(done).toEqual(["/1", "/2", "/3"]);
      expect(performance.now() - t0).toBeGreaterThan(400);
      expect(r.cluster.counters.get("queue.wait")).toBe(2);
    } finally {
      await r.stop();
    }
  });

  test("a queue that times out: 503, logged term=queue_timeout, and the server never sees it", async () => {
    const { b, r } = await queued(100, 600);
    try {
      const first = exchange(r.port, GET("/slow"), { timeoutMs: 3000 });
      await Bun.sleep(30);
      const second = await exchange(r.port, GET("/waits"), { timeoutMs: 3000 });
      expect(second.responses[0]!.status).toBe(503);
      expect(second.responses[0]!.body).toContain("queue_timeout");
      expect((await first).responses[0]!.status).toBe(200);
      expect(b.requests.map((q) => q.target)).toEqual(["/slow"]);
      expect(r.lines.find((l) => l.includes('"uri":"/waits"'))).toContain('"term":"queue_timeout"');
      expect(r.cluster.counters.get("timeout.queue")).toBe(1);
    } finally {
      await r.stop();
    }
  });

  test("without queue_timeout a full pool answers 503 at once", async () => {
    const { r } = await queued(undefined, 400);
    try {
      const first = exchange(r.port, GET("/slow"), { timeoutMs: 3000 });
      await Bun.sleep(30);
      const t0 = performance.now();
      const second = await exchange(r.port, GET("/no"), { timeoutMs: 3000 });
      expect(second.responses[0]!.status).toBe(503);
      expect(performance.now() - t0).toBeLessThan(300);
      await first;
    } finally {
      await r.stop();
    }
  });

  test("a client that leaves while queued leaves the queue", async () => {
    const { b, r } = await queued(3000, 200);
    try {
      const first = exchange(r.port, GET("/a"), { timeoutMs: 3000 });
      await Bun.sleep(20);
      const s = await Bun.connect({ hostname: "127.0.0.1", port: r.port, socket: { data() {} } });
      s.write(GET("/gone"));
      await Bun.sleep(30);
      expect(r.sw.queues.waiting).toBe(1);
      s.terminate();
      await Bun.sleep(30);
      expect(r.sw.queues.waiting).toBe(0);
      await first;
      const third = await exchange(r.port, GET("/c"), { timeoutMs: 3000 });
      expect(third.responses[0]!.status).toBe(200);
      expect(b.requests.map((q) => q.target)).toEqual(["/a", "/c"]);
    } finally {
      await r.stop();
    }
  });
});
