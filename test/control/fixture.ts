// A small cluster and provider the control tests share.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ControlActions, ControlProvider } from "../../core/control/control-handler.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import { Cluster, PoolState, ServerState } from "../../core/state/cluster.ts";

export function makeCluster(): Cluster {
  const c = new Cluster();
  c.pools.set(
    "app",
    new PoolState("app", [
      new ServerState("app", "a1", "10.0.0.1:8080", 2, { now: 1000 }),
      new ServerState("app", "a2", "10.0.0.2:8080", 1, { now: 1000 }),
    ]),
  );
  c.vrrp.set("VI_1", { state: "MASTER", priority: 150, master: "10.0.0.5", since: 1000, reason: "priority" });
  return c;
}

export function makeProvider(cluster: Cluster, actions: Partial<ControlActions> = {}) {
  const { logger, lines } = memoryLogger();
  const provider: ControlProvider = {
    cluster,
    logger,
    actions,
    describe: () => ({
      version: "0.1.0-test",
      startedAt: Date.now() - 5000,
      configFile: "/etc/tcpvs/tcpvs.toml",
      configHash: "abc123",
      role: "serve",
      listeners: [{ virtual_server: "web", listen: ["0.0.0.0:80"], mode: "http", pool: "app" }],
    }),
  };
  return { provider, lines };
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tcpvs-ctl-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
