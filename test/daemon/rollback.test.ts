// A reload that fails after it started changing things (the switch throws half-way) must put the
// previous config back: the same pools and listeners, traffic served. The failure is injected into an
// in-process Daemon, since a bind race cannot be produced on demand from outside.

import { afterEach, expect, test } from "bun:test";
import { parseConfig } from "../../core/config/load.ts";
import { serveDaemon } from "../../core/daemon/serve-role.ts";
import type { SwitchService } from "../../core/daemon/switch-service.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import { backend, configText, freePort, tempDir } from "./harness.ts";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

test("switch failure half-way through a reload: previous pools and listeners restored", async () => {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const [b1, o1] = [backend("b1"), backend("o1")];
  cleanups.push(
    () => b1.stop(),
    () => o1.stop(),
  );
  const port = freePort();
  const port2 = freePort();
  const base = { port, control: `unix:${tmp.dir}/c.sock`, backends: [b1], checkInterval: "5s" };
  const oldText = configText(base);
  const newText = configText({
    ...base,
    extra: `
[pool.other]
scheduler = "rr"
  [[pool.other.server]]
  name = "o1"
  address = "${o1.address}"

[[virtual_server]]
name = "second"
listen = ["127.0.0.1:${port2}"]
mode = "http"
pool = "other"
`,
  });
  const { logger, lines } = memoryLogger("info");
  const d = serveDaemon({
    file: "test.toml",
    config: parseConfig(oldText, "test.toml"),
    hash: "old",
    log: logger,
    version: "test",
    // One data path, on this thread: the test breaks the SwitchService's own reload half-way. A worker
    // that refuses a reload (workers > 1) takes the same daemon rollback; no test breaks a worker there.
    workers: 1,
    reloadSource: () => ({ config: parseConfig(newText, "test.toml"), hash: "new" }),
  });
  await d.start();
  cleanups.push(() => d.stop(0));

  // Let the switch apply the new listeners, then fail: the state is now half new.
  const service = d.service<SwitchService>("switch")!;
  const sw = service.switch as unknown as { reload: (...a: unknown[]) => Promise<void> };
  const real = sw.reload.bind(sw);
  let calls = 0;
  sw.reload = async (...a: unknown[]) => {
    await real(...a);
    if (++calls === 1) throw new Error("injected failure after the switch reloaded");
  };

  const r = await d.reload();
  expect(r.ok).toBe(false);
  expect(r.errors).toEqual(["injected failure after the switch reloaded"]);
  expect(calls).toBe(2);
  expect([...d.cluster.pools.keys()]).toEqual(["app"]);
  expect(service.ports("second")).toEqual([]);
  expect(lines.some((l) => l.includes("restoring the previous config"))).toBe(true);
  const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
  expect(await res.text()).toBe("b1\n");
  let refused = false;
  await fetch(`http://127.0.0.1:${port2}/`, { headers: { connection: "close" } }).then(
    (x) => x.text(),
    () => {
      refused = true;
    },
  );
  expect(refused).toBe(true);
}, 20_000);
