import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ControlServer } from "../../core/control/control-server.ts";
import type { StatusSnapshot } from "../../core/control/snapshot.ts";
import type { Cluster } from "../../core/state/cluster.ts";
import { GLOBAL_OPTIONS } from "../../core/cli/help-text.ts";
import { parseArgv } from "../../core/cli/parse-argv.ts";
import { UsageError } from "../../core/cli/usage-error.ts";
import { runStatus } from "../../core/cli/run-status.ts";
import { STATUS_OPTIONS, type StatusIO } from "../../core/cli/status-plan.ts";
import { makeCluster, makeProvider, tempDir } from "./fixture.ts";

let tmp: ReturnType<typeof tempDir>;
let server: ControlServer | undefined;
let cluster: Cluster;
let address: string;
const TOKEN = "status-test-token-0123456789";
let tokenFile: string;

beforeEach(async () => {
  tmp = tempDir();
  cluster = makeCluster();
  const { provider } = makeProvider(cluster, {
    reload: async () => ({ ok: false, errors: ["line 3: bad key"] }),
    vrrp: async () => ({ ok: true }),
  });
  const path = join(tmp.dir, "control.sock");
  address = `unix:${path}`;
  tokenFile = join(tmp.dir, "token");
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  server = await ControlServer.start({
    endpoint: { kind: "unix", path, text: address },
    provider,
    token: TOKEN,
  });
});
afterEach(async () => {
  await server?.stop();
  tmp.cleanup();
});

function io(isTTY = false, abort?: AbortSignal): StatusIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, isTTY, abort, out: (s) => stdout.push(s), err: (s) => stderr.push(s) };
}

async function run(
  argv: string[],
  o = io(),
  ctx: Partial<{ json: boolean; tokenFile?: string; controlAddress: string }> = {},
) {
  const c = { json: false, controlAddress: address, tokenFile, ...ctx };
  let code: number;
  try {
    // The words as `tcpvs status` parses them (cmd/main.ts): its options and the global ones.
    const { values, positionals } = parseArgv(argv, [...STATUS_OPTIONS, ...GLOBAL_OPTIONS]);
    const args = {
      words: positionals,
      json: c.json || values.json === true,
      watch: values.watch === true,
      is: values.is,
    };
    code = await runStatus(args, { controlAddress: c.controlAddress, tokenFile: c.tokenFile }, o);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    o.err(`${e.message}\n`);
    code = e.exitCode;
  }
  return { code, out: o.stdout.join(""), err: o.stderr.join("") };
}

describe("tcpvs status", () => {
  test("table without colour off a TTY, with colour on one; --json is the snapshot", async () => {
    const plain = await run([]);
    expect(plain.code).toBe(0);
    expect(plain.out).toContain("pool app");
    expect(plain.out).toMatch(/a1\s+10\.0\.0\.1:8080\s+up\s+2/);
    expect(plain.out).not.toContain("\x1b[");
    const tty = await run([], io(true));
    expect(tty.out).toContain("\x1b[32m");
    const json = await run(["--json"]);
    const snap = JSON.parse(json.out) as StatusSnapshot;
    expect(snap.pools[0]!.servers.map((s) => s.name)).toEqual(["a1", "a2"]);
  });

  test("drain through the CLI, then --is answers by exit code", async () => {
    expect((await run(["server", "app", "a1", "--is", "up"])).code).toBe(0);
    expect((await run(["drain", "app", "a1"])).code).toBe(0);
    expect(cluster.pools.get("app")!.server("a1")!.drained).toBe(true);
    expect((await run(["server", "app", "a1", "--is", "up"])).code).toBe(1);
    expect((await run(["server", "app", "a1", "--is", "drained"])).code).toBe(0);
    expect((await run(["weight", "app", "a2", "5"])).code).toBe(0);
    expect(cluster.pools.get("app")!.server("a2")!.weight).toBe(5);
    expect((await run(["vrrp", "VI_1", "--is", "master"])).code).toBe(0);
    expect((await run(["vrrp", "VI_1", "--is", "backup"])).code).toBe(1);
    expect((await run(["vrrp", "VI_1", "priority", "50"])).code).toBe(0);
    const nf = await run(["drain", "app", "nope"]);
    expect(nf.code).toBe(1);
    expect(nf.err).toContain('"nope"');
  });

  test("reload refused prints the errors and exits 1", async () => {
    const r = await run(["reload"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("line 3: bad key");
  });

  test("usage errors exit 2 without connecting", async () => {
    const r = await run(["weight", "app", "a1", "heavy"], io(), {
      controlAddress: "unix:/nonexistent/x.sock",
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain('"heavy"');
    expect((await run(["frobnicate"])).code).toBe(2);
    expect((await run(["--bogus"])).code).toBe(2);
    // --is only with a query, and only a state it knows; found before connecting.
    const nowhere = { controlAddress: "unix:/nonexistent/x.sock" };
    const odd = await run(["server", "app", "a1", "--is", "sideways"], io(), nowhere);
    expect([odd.code, odd.err.includes('"sideways"')]).toEqual([2, true]);
    expect((await run(["reload", "--is", "up"], io(), nowhere)).code).toBe(2);
  });

  test("unreachable daemon and bad token exit 3 and say why", async () => {
    const missing = join(tmp.dir, "missing.sock");
    const r1 = await run([], io(), { controlAddress: `unix:${missing}` });
    expect(r1.code).toBe(3);
    expect(r1.err).toContain("no such file");
    const r2 = await run([], io(), { tokenFile: undefined });
    expect(r2.code).toBe(3);
    expect(r2.err).toContain("bad or missing token");
    const wrong = join(tmp.dir, "wrong");
    writeFileSync(wrong, "not-the-right-token-000000");
    expect((await run([], io(), { tokenFile: wrong })).code).toBe(3);
  });

  test("--watch streams a server's change", async () => {
    const ac = new AbortController();
    const o = io(false, ac.signal);
    const done = run(["--watch"], o);
    // Wait until subscribed (the "watching" line), bounded.
    for (let i = 0; i < 100 && !o.stdout.join("").includes("watching"); i++) await Bun.sleep(10);
    cluster.updateServer("app", "a2", (s) => (s.healthy = false), "check failed: refused");
    for (let i = 0; i < 100 && !o.stdout.join("").includes("app/a2"); i++) await Bun.sleep(10);
    ac.abort();
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/server app\/a2 down weight=1 check failed: refused/);
  });

  test("--watch on a terminal redraws every second with rates, and says when the daemon is gone", async () => {
    const ac = new AbortController();
    const o = io(true, ac.signal);
    const done = run(["--watch"], o);
    const screens = () => o.stdout.join("").split("\x1b[H\x1b[2J").filter(Boolean);
    for (let i = 0; i < 100 && screens().length < 1; i++) await Bun.sleep(20);
    // Traffic between ticks shows as a rate on the next screen, without any event.
    cluster.virtualServers.set("web", { requests: 40, responses5xx: 0 });
    for (let i = 0; i < 150 && screens().length < 3; i++) await Bun.sleep(20);
    expect(screens().length).toBeGreaterThanOrEqual(3);
    const last = screens().at(-1)!;
    expect(last).toContain("REQ/S");
    expect(last).toMatch(/web\s+0\.0\.0\.0:80\s+app\s+0\s+\d+\.\d/);
    expect(last).toContain("recent events");
    // The daemon goes away: the screen says so and the watch keeps trying (no exit 3).
    await server!.stop();
    server = undefined;
    for (let i = 0; i < 100 && !screens().at(-1)!.includes("lost the daemon"); i++) await Bun.sleep(20);
    expect(screens().at(-1)).toContain("reconnecting every 1s");
    ac.abort();
    expect((await done).code).toBe(0);
  });
});
