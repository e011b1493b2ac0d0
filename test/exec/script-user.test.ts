// [global] script_user: every command the one runner starts runs as that user (through setpriv), a
// check script, a notify and a VRRP script alike; unset, as tcpvs itself. Root only (setting another
// uid needs it); skipped with a printed reason otherwise.

import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand, shellArgv } from "../../core/exec/run-command.ts";
import { parseScriptUser, ScriptUserError, setScriptUser } from "../../core/exec/script-user.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import { NotifyQueue } from "../../core/vrrp/notify.ts";

const ROOT = process.getuid?.() === 0;
if (!ROOT) console.log("skipping script_user tests: running a script as another user needs root");
const NOBODY = Bun.spawnSync(["id", "-u", "nobody"], { stdout: "pipe" }).stdout.toString().trim();

const dirs: string[] = [];
afterEach(() => {
  setScriptUser(undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A directory every user may write to, for the scripts' output. */
function openDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tcpvs-su-"));
  chmodSync(d, 0o777);
  dirs.push(d);
  return d;
}

test("script_user is USER or USER GROUP, as keepalived writes it", () => {
  expect(parseScriptUser("nobody")).toEqual({ user: "nobody" });
  expect(parseScriptUser(" nobody  nogroup ")).toEqual({ user: "nobody", group: "nogroup" });
  expect(parseScriptUser("a b c")).toBeUndefined();
  expect(() => setScriptUser("no-such-user-tcpvs")).toThrow(ScriptUserError);
  expect(() => setScriptUser("no-such-user-tcpvs")).toThrow('Create user "no-such-user-tcpvs"');
  expect(() => setScriptUser("nobody no-such-group-tcpvs")).toThrow("no such group");
});

describe.skipIf(!ROOT)("scripts run as script_user", () => {
  test("a command runs as the user with the user's group; unset, as root", async () => {
    const d = openDir();
    setScriptUser("nobody");
    const r = await runCommand(shellArgv(`id -u > ${d}/uid; id -g > ${d}/gid`), { timeoutMs: 5000 });
    expect(r.code).toBe(0);
    expect(readFileSync(join(d, "uid"), "utf8").trim()).toBe(NOBODY);
    const gid = Bun.spawnSync(["id", "-g", "nobody"], { stdout: "pipe" }).stdout.toString().trim();
    expect(readFileSync(join(d, "gid"), "utf8").trim()).toBe(gid);
    setScriptUser(undefined);
    await runCommand(shellArgv(`id -u > ${d}/uid2`), { timeoutMs: 5000 });
    expect(readFileSync(join(d, "uid2"), "utf8").trim()).toBe("0");
  });

  test("a VRRP notify script runs as the user, and cannot write where only root may", async () => {
    const d = openDir();
    const closed = mkdtempSync(join(tmpdir(), "tcpvs-su-root-"));
    dirs.push(closed);
    setScriptUser("nobody");
    const q = new NotifyQueue(memoryLogger().logger, 5000);
    q.run(`id -u > ${d}/notify; touch ${closed}/x`);
    await q.idle();
    expect(readFileSync(join(d, "notify"), "utf8").trim()).toBe(NOBODY);
    expect(await Bun.file(join(closed, "x")).exists()).toBe(false);
  });

  test("a script past its timeout is still killed with its group when run as the user", async () => {
    setScriptUser("nobody");
    const t0 = performance.now();
    const r = await runCommand(shellArgv("sleep 5"), { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
