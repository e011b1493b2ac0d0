// The switch alone in a process, for the benchmark to pin and measure.
// Usage: bun bench/switch-server.ts <listen-port> <mode http|tcp> <backend-port>...

import { Logger } from "../core/log/logger.ts";
import type { Scheduler } from "../core/sched/types.ts";
import { Cluster, PoolState, ServerState } from "../core/state/cluster.ts";
import { Switch } from "../core/switch/switch.ts";
import { poolConfig, roundRobin, vsConfig } from "../test/switch/helpers.ts";

const [portArg, modeArg, ...backendArgs] = process.argv.slice(2);
const ports = backendArgs.map(Number);
const cluster = new Cluster();
const pool = new PoolState(
  "web",
  ports.map((p, i) => new ServerState("web", `n${i}`, `127.0.0.1:${p}`, 1)),
);
cluster.pools.set("web", pool);
const sched: Scheduler = roundRobin(pool);
const sw = new Switch({
  cluster,
  schedulerFor: () => sched,
  log: new Logger({ level: "warn" }),
  pools: {
    web: poolConfig(
      "web",
      ports.map((port, i) => ({ id: `n${i}`, port })),
    ),
  },
});
await sw.listen(
  vsConfig({
    listen: [
      { kind: "inet", host: "127.0.0.1", port: Number(portArg), family: 4, text: `127.0.0.1:${portArg}` },
    ],
    mode: modeArg === "tcp" ? "tcp" : "http",
    // A content decision, as the HAProxy contender makes one too.
    rule: [{ path_prefix: "/never/", pool: "web" }],
    max_connections: 10_000,
    client_keepalive_timeout: 30_000,
    idle_timeout: 30_000,
  }),
);
console.log("ready");
process.on("SIGTERM", () => {
  void sw.close(0);
});
