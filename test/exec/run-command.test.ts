// Every command tcpvs runs goes through one runner: on timeout the whole process group is stopped
// (SIGTERM, then SIGKILL), so a script's children die with it. The VRRP track and notify scripts are
// the cases that used to leave a `sleep 30 &` running after killing only the shell.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand, shellArgv } from "../../core/exec/run-command.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import { NotifyQueue } from "../../core/vrrp/notify.ts";
import { ScriptTracker } from "../../core/vrrp/script.ts";
import { alive } from "../pids.ts";

const dirs: string[] = [];
const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), "tcpvs-exec-"));
  dirs.push(d);
  return d;
}

/** The pids a script wrote, once it has written them (bounded wait). */
async function pidsIn(file: string): Promise<number[]> {
  for (let i = 0; i < 300 && !existsSync(file); i++) await Bun.sleep(10);
  const pids = readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
  strays.push(...pids);
  return pids;
}

/** Wait (bounded) for every pid to be gone; returns the ones still alive. */
async function survivors(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 300 && pids.some(alive); i++) await Bun.sleep(10);
  return pids.filter(alive);
}

describe("VRRP scripts past their timeout take their children with them", () => {
  test("track script: a `sleep 30 &` the script waits for is gone after the timeout", async () => {
    const pidFile = join(scratch(), "pids");
    const { logger } = memoryLogger();
    let changed: boolean | undefined;
    const t = new ScriptTracker(
      {
        name: "chk",
        script: `sleep 30 & echo "$$ $!" > ${pidFile}; wait`,
        interval: 60_000,
        timeout: 200,
        rise: 1,
        fall: 1,
        weight: 0,
      },
      (ok) => (changed = ok),
      logger,
    );
    t.start();
    try {
      const pids = await pidsIn(pidFile);
      expect(pids).toHaveLength(2);
      for (let i = 0; i < 300 && changed === undefined; i++) await Bun.sleep(10);
      expect(changed).toBe(false);
      expect(await survivors(pids)).toEqual([]);
    } finally {
      t.stop();
    }
  });

  test("notify script: a `sleep 30 &` the script waits for is gone after the timeout", async () => {
    const dir = scratch();
    const pidFile = join(dir, "pids");
    const script = join(dir, "notify.sh");
    writeFileSync(script, `#!/bin/sh\nsleep 30 & echo "$$ $!" > ${pidFile}; wait\n`, { mode: 0o755 });
    const { logger, lines } = memoryLogger();
    const q = new NotifyQueue(logger, 200);
    q.run(script, ["INSTANCE", "VI_1", "MASTER", "100"]);
    await q.idle();
    const pids = await pidsIn(pidFile);
    expect(pids).toHaveLength(2);
    expect(await survivors(pids)).toEqual([]);
    expect(lines.some((l) => l.includes("notify script timed out"))).toBe(true);
  });
});

describe("runCommand", () => {
  test("a group that ignores SIGTERM is killed after the grace", async () => {
    const pidFile = join(scratch(), "pids");
    const r = await runCommand(shellArgv(`trap '' TERM; sleep 30 & echo "$$ $!" > ${pidFile}; wait`), {
      timeoutMs: 200,
      killGraceMs: 100,
    });
    expect(r).toMatchObject({ code: null, timedOut: true });
    expect(await survivors(await pidsIn(pidFile))).toEqual([]);
  });

  test("exit code, signal and arguments as separate words", async () => {
    expect(await runCommand(shellArgv("exit 3"), { timeoutMs: 5000 })).toMatchObject({
      code: 3,
      timedOut: false,
    });
    expect(await runCommand(shellArgv("kill -KILL $$"), { timeoutMs: 5000 })).toMatchObject({
      code: null,
      signal: "SIGKILL",
    });
    const out = join(scratch(), "out");
    await runCommand(shellArgv(`printf '%s|' >${out}`, ["a b", "it's", "$x"]), { timeoutMs: 5000 });
    expect(readFileSync(out, "utf8")).toBe("a b|it's|$x|");
  });

  test("stderr is read without waiting for a background child that keeps it open", async () => {
    const pidFile = join(scratch(), "pids");
    const r = await runCommand(shellArgv(`sleep 30 & echo $! > ${pidFile}; echo oops >&2; exit 1`), {
      timeoutMs: 10_000,
      captureStderr: true,
    });
    const [child] = await pidsIn(pidFile);
    expect(r).toMatchObject({ code: 1, timedOut: false, stderr: "oops\n" });
    // Returned while the child (which holds stderr open) still runs: the runner did not wait for EOF.
    expect(alive(child!)).toBe(true);
  });
});
