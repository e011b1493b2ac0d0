import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { runNotify } from "../../core/check/notify.ts";
import { runOneCheck } from "../../core/check/registry.ts";
import { scriptVerdict } from "../../core/check/script.ts";
import { checkDefaults } from "../../core/check/types.ts";
import { inet } from "./net-helpers.ts";
import { alive } from "../pids.ts";

const server = inet(8080, "127.0.0.9");

describe("script verdict", () => {
  test("keepalived MISC_CHECK rules", () => {
    expect(scriptVerdict(0, false)).toEqual({ ok: true, reason: "exit 0" });
    expect(scriptVerdict(1, true)).toEqual({ ok: false, reason: "exit 1" });
    expect(scriptVerdict(7, false)).toEqual({ ok: false, reason: "exit 7" });
    expect(scriptVerdict(7, true)).toEqual({ ok: true, reason: "exit 7", weight: 5 });
    expect(scriptVerdict(255, true)).toEqual({ ok: true, reason: "exit 255", weight: 253 });
  });
});

describe("script check", () => {
  test("exit 0 is up, exit 1 is down; the server's address is in the environment", async () => {
    const up = checkDefaults({ type: "script", script: 'test "$TCPVS_HOST:$TCPVS_PORT" = 127.0.0.9:8080' });
    expect(await runOneCheck(up, server)).toMatchObject({ ok: true, reason: "exit 0" });
    const down = checkDefaults({ type: "script", script: "exit 1" });
    expect(await runOneCheck(down, server)).toMatchObject({ ok: false, reason: "exit 1" });
  });

  test("dynamic: exit 12 is up with weight 10", async () => {
    const check = checkDefaults({ type: "script", script: "exit 12", dynamic: true });
    expect(await runOneCheck(check, server)).toMatchObject({ ok: true, reason: "exit 12", weight: 10 });
    const plain = checkDefaults({ type: "script", script: "exit 12" });
    expect((await runOneCheck(plain, server)).ok).toBe(false);
  });

  test("a timeout kills the child that ignores SIGTERM and its grandchild", async () => {
    const pidFile = `/tmp/tcpvs-script-${process.pid}.pids`;
    rmSync(pidFile, { force: true });
    const script = `trap '' TERM; sleep 30 & echo "$$ $!" > ${pidFile}; wait`;
    const r = await runOneCheck(checkDefaults({ type: "script", script, timeout: 300 }), server);
    expect(r).toMatchObject({ ok: false, reason: "timed out after 300 ms" });
    expect(existsSync(pidFile)).toBe(true);
    const pids = readFileSync(pidFile, "utf8").trim().split(" ").map(Number);
    rmSync(pidFile, { force: true });
    expect(pids).toHaveLength(2);
    // SIGKILL is delivered at once, but the grandchild is reaped by init: allow a bounded moment.
    for (let i = 0; i < 50 && pids.some(alive); i++) await Bun.sleep(10);
    expect(pids.filter(alive)).toEqual([]);
  });

  test("a missing script is a clear failure", async () => {
    const r = await runOneCheck(checkDefaults({ type: "script" }), server);
    expect(r).toMatchObject({ ok: false, reason: "Set `script` for a script check" });
  });
});

describe("notify commands", () => {
  test("run without blocking, with pool, server, address, state and reason as arguments", async () => {
    const dir = mkdtempSync("/tmp/tcpvs-notify-");
    const script = `${dir}/notify.sh`;
    writeFileSync(
      script,
      `#!/bin/sh\nprintf '%s|' "$@" "$TCPVS_STATE" > ${dir}/out.tmp && mv ${dir}/out.tmp ${dir}/out\n`,
    );
    chmodSync(script, 0o755);
    try {
      runNotify(script, {
        pool: "web",
        server: "s1",
        address: "10.0.0.1:80",
        state: "DOWN",
        reason: "tcp: refused",
      });
      // The call returned before the command ran to its end; wait for its output (bounded).
      for (let i = 0; i < 100 && !existsSync(`${dir}/out`); i++) await Bun.sleep(10);
      expect(readFileSync(`${dir}/out`, "utf8")).toBe("web|s1|10.0.0.1:80|DOWN|tcp: refused|DOWN|");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
