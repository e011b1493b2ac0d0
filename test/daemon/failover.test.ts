// A backend dying under steady traffic: the switch retries the failed exchanges on the other server and
// the health check takes the dead one out, so no client sees an error; status tells the story.

import { expect, test } from "bun:test";
import {
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  startServe,
  statusJson,
  steadyLoad,
  tempDir,
  waitFor,
  writeConfig,
} from "./harness.ts";

test("a backend killed under load: no failed request, marked down, retries counted", async () => {
  const tmp = tempDir();
  const [b1, b2] = [backend("b1"), backend("b2")];
  const port = freePort();
  const control = `unix:${tmp.dir}/c.sock`;
  const p = await startServe(
    writeConfig(tmp.dir, configText({ port, control, backends: [b1, b2], checkInterval: "300ms" })),
  );
  try {
    const load = steadyLoad(`http://127.0.0.1:${port}/`, 5);
    await waitFor(() => b2.hits > 5, 3000, "traffic on b2");
    // Stop b2 just after a health check, so the traffic (a request every 5 ms) meets the dead server
    // well before the next check (300 ms on) can take it out: the retries are then sure to happen.
    const checks = b2.checks;
    await waitFor(() => b2.checks > checks, 3000, "a health check on b2");
    b2.stop();
    await waitFor(
      async () => (await statusJson(control)).pools[0]!.servers.find((s) => s.name === "b2")!.up === false,
      3000,
      "b2 to be marked down",
    );
    const b1Before = b1.hits;
    await Bun.sleep(300);
    await load.stop();
    expect(load.errors).toEqual([]);
    expect(b1.hits).toBeGreaterThan(b1Before);
    const s = await statusJson(control);
    const b2s = s.pools[0]!.servers.find((x) => x.name === "b2")!;
    // Every exchange that failed on b2 before the check caught it was retried (none reached a client).
    expect(b2s.errors_total).toBeGreaterThan(0);
    expect(s.counters.retry ?? 0).toBe(b2s.errors_total);
    p.proc.kill("SIGTERM");
    expect(await exitWithin(p, 8000)).toBe(0);
  } finally {
    killIfRunning(p);
    b1.stop();
    tmp.cleanup();
  }
}, 30_000);
