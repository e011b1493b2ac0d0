// [global] control_group: the socket is 0660 for the group; a member (nobody, in nogroup) may read the
// status and watch but every action is refused; root acts; a user outside the group cannot connect.
// The audit lines name peers by their real uid, gid and pid (SO_PEERCRED), whatever they declare.
// Runs processes as other users with setpriv: root only.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, statSync } from "node:fs";
import { join } from "node:path";
import { missingTools } from "../tools.ts";
import {
  type Backend,
  BUN,
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  MAIN,
  type Proc,
  runTcpvs,
  startServe,
  tempDir,
  waitLine,
  writeConfig,
} from "./harness.ts";

const ROOT = process.getuid?.() === 0;
if (!ROOT) console.log("skipping the control_group tests: they run clients as other users (root only)");
const skip = !ROOT || missingTools("the control_group tests", "setpriv") !== undefined;
const FORGE = join(import.meta.dir, "..", "control", "fixtures", "forge-peer.ts");

/** `argv` as uid/gid, with or without the supplementary groups of /etc/group. */
async function as(uid: number, gid: number, argv: string[], initGroups: boolean) {
  const groups = initGroups ? ["--init-groups"] : ["--clear-groups"];
  const p = Bun.spawn(["setpriv", `--reuid=${uid}`, `--regid=${gid}`, ...groups, ...argv], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, HOME: "/tmp", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", NO_COLOR: "1" },
  });
  const timer = setTimeout(() => p.kill(9), 15_000);
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  return { code, out, err };
}

describe.skipIf(skip)("control_group", () => {
  let p: Proc | undefined;
  let backends: Backend[] = [];
  let tmp: ReturnType<typeof tempDir>;
  let sock = "";

  beforeAll(async () => {
    tmp = tempDir();
    chmodSync(tmp.dir, 0o755);
    backends = [backend("b1"), backend("b2")];
    sock = join(tmp.dir, "run", "control.sock");
    const text = configText({
      port: freePort(),
      control: `unix:${sock}`,
      backends,
      checkInterval: "5s",
    }).replace("[global]\n", '[global]\ncontrol_group = "nogroup"\n');
    p = await startServe(writeConfig(tmp.dir, text));
  });

  afterAll(async () => {
    if (p) {
      p.proc.kill("SIGTERM");
      await exitWithin(p, 8000);
    }
    killIfRunning(p);
    for (const b of backends) b.stop();
    tmp.cleanup();
  });

  test("the socket is 0660 for the group, its directory lets the group in", () => {
    const st = statSync(sock);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.gid).toBe(65534);
    expect(statSync(join(tmp.dir, "run")).mode & 0o070).toBe(0o050);
  });

  test("a member reads the status but may not act; the log names it by its real uid", async () => {
    const read = await as(65534, 65534, [BUN, MAIN, "status", "--json", "--control", `unix:${sock}`], true);
    expect(read.code).toBe(0);
    expect(JSON.parse(read.out).pools[0].servers.map((s: { name: string }) => s.name)).toEqual(["b1", "b2"]);
    const from = p!.lines.length;
    const act = await as(
      65534,
      65534,
      [BUN, MAIN, "status", "drain", "app", "b1", "--control", `unix:${sock}`],
      true,
    );
    expect(act.code).toBe(1);
    expect(act.err).toContain("may only read the status (control_group)");
    await waitLine(p!, /control action refused.*uid=65534\(nobody\) gid=65534 pid=\d+/, 5000, from);
    expect(
      (await runTcpvs(["status", "server", "app", "b1", "--is", "up", "--control", `unix:${sock}`])).code,
    ).toBe(0);
  });

  test("a forged credentials header and a declared name of root change nothing", async () => {
    const r = await as(65534, 65534, [BUN, FORGE, sock], true);
    const answer = JSON.parse(r.out.trim().split("\n")[0]!);
    expect(answer).toMatchObject({ ok: false, error: { code: "read_only" } });
    await waitLine(p!, /control action refused.*uid=65534\(nobody\).*declares root@localhost\.1/, 5000);
  });

  test("root acts, and is named uid=0 in the audit line", async () => {
    const from = p!.lines.length;
    expect((await runTcpvs(["status", "drain", "app", "b2", "--control", `unix:${sock}`])).code).toBe(0);
    await waitLine(p!, /control action.*action=drain.*uid=0\(root\) gid=0 pid=\d+/, 5000, from);
    expect((await runTcpvs(["status", "enable", "app", "b2", "--control", `unix:${sock}`])).code).toBe(0);
  });

  test("a user outside the group cannot connect (exit 3, permission denied)", async () => {
    const r = await as(65533, 65533, [BUN, MAIN, "status", "--control", `unix:${sock}`], false);
    expect(r.code).toBe(3);
    expect(r.err).toContain("permission denied");
  });
});
