// A client reading a large response slowly must not make tcpvs buffer it: the switch stops reading the
// server while the client's socket is full, so its memory stays flat whatever the response size. The
// backend and the client run in their own processes so this process's RSS is the switch's. A first
// 32 MiB transfer brings the garbage collector to its steady state; the second (96 MiB) must not grow
// the RSS by more than a quarter of its volume (without backpressure it would grow by all of it).

import { expect, test } from "bun:test";
import { memoryLogger } from "../../core/log/logger.ts";
import { Cluster, PoolState, ServerState } from "../../core/state/cluster.ts";
import { Switch } from "../../core/switch/switch.ts";
import { poolConfig, roundRobin, vsConfig } from "./helpers.ts";

const MiB = 1024 * 1024;

async function slowGet(port: number, size: number): Promise<number> {
  const client = Bun.spawn(
    [process.execPath, `${import.meta.dir}/fixtures/slow-client.ts`, String(port), String(size)],
    {
      stdout: "pipe",
    },
  );
  return Number((await new Response(client.stdout).text()).trim());
}

test("slow reader: RSS stays flat while 96 MiB go through the switch", async () => {
  const backend = Bun.spawn([process.execPath, `${import.meta.dir}/fixtures/big-backend.ts`], {
    stdout: "pipe",
  });
  let sw: Switch | undefined;
  try {
    const { value } = await backend.stdout.getReader().read();
    const port = Number(new TextDecoder().decode(value).trim());
    const cluster = new Cluster();
    const pool = new PoolState("big", [new ServerState("big", "b", `127.0.0.1:${port}`, 1)]);
    cluster.pools.set("big", pool);
    const sched = roundRobin(pool);
    sw = new Switch({
      cluster,
      schedulerFor: () => sched,
      log: memoryLogger().logger,
      pools: { big: poolConfig("big", [{ id: "b", port }]) },
      tickMs: 50,
    });
    await sw.listen(vsConfig({ name: "big", pool: "big", idle_timeout: 30_000 }));
    const swPort = sw.ports("big")[0]!;
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    expect(await slowGet(swPort, 32 * MiB)).toBeGreaterThanOrEqual(32 * MiB);
    const warm = peak;
    expect(await slowGet(swPort, 96 * MiB)).toBeGreaterThanOrEqual(96 * MiB);
    clearInterval(sampler);
    const growth = peak - warm;
    console.log(
      `slow reader: 96 MiB relayed, RSS ${(warm / MiB).toFixed(1)} -> ${(peak / MiB).toFixed(1)} MiB`,
    );
    expect(growth).toBeLessThan(24 * MiB);
  } finally {
    backend.kill();
    await sw?.close(0);
  }
});
