// Process-level behaviour of `tcpvs serve` as a service manager sees it: SIGTERM with a slow request in
// flight lets it finish and exits 0 within the grace period; SIGUSR1 writes the state to the log;
// `status --watch --json` sees a backend's check state change within one check interval.

import { afterEach, expect, test } from "bun:test";
import {
  backend,
  configText,
  exitWithin,
  freePort,
  KeepAlive,
  killIfRunning,
  type Proc,
  spawnTcpvs,
  startServe,
  tempDir,
  waitFor,
  waitLine,
  writeConfig,
} from "./harness.ts";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

async function daemon(o: { delayMs?: number; checkInterval?: string; grace?: string } = {}) {
  const tmp = tempDir();
  const backends = [backend("b1", o.delayMs ?? 1000), backend("b2", o.delayMs ?? 1000)];
  const port = freePort();
  const control = `unix:${tmp.dir}/control.sock`;
  const file = writeConfig(
    tmp.dir,
    configText({ port, control, backends, checkInterval: o.checkInterval ?? "5s", grace: o.grace }),
  );
  const p = await startServe(file);
  cleanups.push(() => {
    killIfRunning(p);
    for (const b of backends) b.stop();
    tmp.cleanup();
  });
  return { p, port, control, backends };
}

test("SIGTERM with a slow request in flight: it completes and the process exits 0 within grace", async () => {
  const { p, port, backends } = await daemon({ delayMs: 1000, grace: "5s" });
  const slow = fetch(`http://127.0.0.1:${port}/slow`).then(async (r) => ({
    status: r.status,
    body: await r.text(),
  }));
  await waitFor(() => backends.some((b) => b.slowStarted > 0), 3000, "the slow request to reach a backend");
  const t0 = Date.now();
  p.proc.kill("SIGTERM");
  // New connections are refused soon after the signal, while the slow one is still running.
  await waitFor(
    async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/fast`, { headers: { connection: "close" } });
        await r.text();
        return false;
      } catch {
        return true;
      }
    },
    900,
    "the listener to stop accepting",
  );
  const r = await slow;
  expect(r.status).toBe(200);
  expect(["b1\n", "b2\n"]).toContain(r.body);
  const code = await exitWithin(p, 5000 + 2000);
  expect(code).toBe(0);
  // It waited for the request (about 1 s) rather than the whole grace period.
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(p.lines.join("\n")).toContain("signal received");
}, 20_000);

test("SIGTERM with a request slower than grace: the process still exits 0 soon after grace", async () => {
  const { p, port, backends } = await daemon({ delayMs: 8000, grace: "500ms" });
  const slow = fetch(`http://127.0.0.1:${port}/slow`).then(
    (r) => r.status,
    () => "cut",
  );
  await waitFor(() => backends.some((b) => b.slowStarted > 0), 3000, "the slow request to reach a backend");
  const t0 = Date.now();
  p.proc.kill("SIGTERM");
  const code = await exitWithin(p, 6000);
  expect(code).toBe(0);
  expect(Date.now() - t0).toBeLessThan(6000);
  // The client is not left hanging: it gets an answer or a closed connection.
  const outcome = await Promise.race([slow, Bun.sleep(3000).then(() => "hanging")]);
  expect(outcome).not.toBe("hanging");
}, 20_000);

test("a second SIGINT during the stop cuts the slow request instead of waiting out grace", async () => {
  const { p, port, backends } = await daemon({ delayMs: 8000, grace: "20s" });
  const slow = fetch(`http://127.0.0.1:${port}/slow`).then(
    (r) => r.status,
    () => "cut",
  );
  await waitFor(() => backends.some((b) => b.slowStarted > 0), 3000, "the slow request to reach a backend");
  p.proc.kill("SIGINT");
  await waitLine(p, /tcpvs stopping/, 5000);
  const t0 = Date.now();
  p.proc.kill("SIGINT");
  expect(await exitWithin(p, 15_000)).toBe(0);
  // Far sooner than the 8 s the backend takes: the second signal did not wait for it.
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(p.lines.join("\n")).toContain("in flight now");
  expect(await Promise.race([slow, Bun.sleep(3000).then(() => "hanging")])).not.toBe("hanging");
}, 30_000);

test("an idle keep-alive client does not hold the stop for the grace period", async () => {
  const { p, port } = await daemon({ grace: "10s" });
  const ka = await KeepAlive.open(port);
  expect((await ka.get("/")).status).toBe(200);
  const t0 = Date.now();
  p.proc.kill("SIGTERM");
  expect(await exitWithin(p, 12_000)).toBe(0);
  // Well under the 10 s grace: nothing was in flight.
  expect(Date.now() - t0).toBeLessThan(5000);
  await waitFor(() => ka.closed, 2000, "the idle connection to be closed");
}, 20_000);

test("SIGUSR1 writes the state dump: one line per server with its counters", async () => {
  const { p, port } = await daemon();
  for (let i = 0; i < 4; i++) await (await fetch(`http://127.0.0.1:${port}/x`)).text();
  const from = p.lines.length;
  p.proc.kill("SIGUSR1");
  await waitLine(p, /state counters/, 5000, from);
  const dump = p.lines.slice(from);
  const servers = dump.filter((l) => /state server/.test(l));
  expect(servers.length).toBe(2);
  expect(servers.some((l) => /server=b1/.test(l) && /requests=2/.test(l))).toBe(true);
  expect(servers.some((l) => /server=b2/.test(l) && /requests=2/.test(l))).toBe(true);
  // The held-bytes budget: nothing held once the requests are done, the default limit.
  expect(dump.some((l) => /state held/.test(l) && /held_bytes=0 max_held_bytes=67108864/.test(l))).toBe(true);
  expect(p.proc.exitCode).toBeNull();
}, 20_000);

test("status --watch --json sees a killed backend go down within one check interval", async () => {
  const intervalMs = 300;
  const { control, backends } = await daemon({ checkInterval: `${intervalMs}ms` });
  const w: Proc = spawnTcpvs(["status", "--watch", "--json", "--control", control]);
  cleanups.push(() => killIfRunning(w));
  // --json starts with a snapshot: once it is there, the subscription is too.
  await waitLine(w, /"type":"snapshot"/, 5000);
  const from = w.lines.length;
  const t0 = Date.now();
  backends[1]!.stop();
  const i = await waitLine(w, /"type":"event".*"b2"/, intervalMs * 2 + 1500, from);
  const elapsed = Date.now() - t0;
  const ev = (JSON.parse(w.lines[i]!) as { event: { type: string; server?: string; up?: boolean } }).event;
  expect(ev.type).toBe("server");
  expect(ev.up).toBe(false);
  // One interval plus the check timeout and a margin for a loaded 2-core machine.
  expect(elapsed).toBeLessThan(intervalMs + 200 + 1500);
  w.proc.kill("SIGINT");
  expect(await exitWithin(w, 3000)).toBe(0);
}, 20_000);
