// `tcpvs vrrp` serves the control channel: status shows its instances fed from the manager's state
// reports, and the vrrp actions (priority, normal, backup) steer a real election between two tcpvs
// processes in network namespaces this test creates and removes. Root only.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SchemaSet } from "../json-schema.ts";
import { isRoot, Lab } from "../vrrp/lab.ts";
import {
  BUN,
  exitWithin,
  MAIN,
  type Proc,
  runTcpvs,
  type StatusLite,
  statusJson,
  tempDir,
  waitFor,
  waitLine,
  writeConfig,
} from "./harness.ts";

const ROOT = isRoot();
const SCHEMAS = new SchemaSet(join(import.meta.dir, "..", "..", "docs", "schema"));
if (!ROOT) console.log("skipping tcpvs vrrp control tests: they need root for network namespaces");

function vrrpToml(control: string, priority: number): string {
  return `[global]
control = "${control}"
metrics = "127.0.0.1:9109"

[vrrp.VI_1]
interface = "eth0"
virtual_router_id = 61
priority = ${priority}
advert_int = "100ms"
version = 3
virtual_ipaddress = ["10.77.0.100/24"]
`;
}

describe.skipIf(!ROOT)("tcpvs vrrp with its control channel", () => {
  let lab: Lab;
  let tmp: ReturnType<typeof tempDir>;
  const nodes: Proc[] = [];
  const ctl = (i: number) => `unix:${tmp.dir}/c${i}.sock`;

  beforeAll(async () => {
    lab = new Lab(2);
    tmp = tempDir();
    for (const [i, prio] of [
      [1, 150],
      [2, 100],
    ] as const) {
      const file = writeConfig(tmp.dir, vrrpToml(ctl(i), prio), `n${i}.toml`);
      // Lab.spawn collects lines like the harness does; wrap it in the harness's Proc shape.
      const lp = lab.spawn(i, [BUN, MAIN, "vrrp", "-c", file]);
      nodes.push({ proc: lp.proc, lines: lp.lines, done: lp.done });
      await waitLine(nodes[i - 1]!, /vrrp running/, 10_000);
    }
  }, 30_000);

  afterAll(() => {
    lab?.destroy();
    tmp?.cleanup();
  });

  const state = async (i: number) => (await statusJson(ctl(i))).vrrp.find((v) => v.name === "VI_1");

  test("status shows the instance; priority, normal and backup steer the election", async () => {
    await waitFor(async () => (await state(1))?.state === "master", 5000, "node 1 MASTER in its status");
    await waitFor(async () => (await state(2))?.state === "backup", 5000, "node 2 BACKUP in its status");
    const s1: StatusLite = await statusJson(ctl(1));
    expect(s1.role).toBe("vrrp");
    expect(s1.vrrp[0]!.master).toBe(lab.ip(1));
    expect(s1.counters["vrrp.VI_1.to_master"]).toBe(1);
    expect(lab.hasAddr(1, "10.77.0.100")).toBe(true);
    expect((await runTcpvs(["status", "vrrp", "VI_1", "--is", "master", "--control", ctl(1)])).code).toBe(0);
    expect((await runTcpvs(["status", "vrrp", "VI_1", "--is", "master", "--control", ctl(2)])).code).toBe(1);
    // The VRRP status carries the VIPs, interface and vrid, and is valid against the JSON contract.
    const raw = await runTcpvs(["status", "--json", "--control", ctl(1)]);
    const doc = JSON.parse(raw.out);
    expect(SCHEMAS.validate("status.schema.json", doc)).toEqual([]);
    expect(doc.vrrp[0]).toMatchObject({
      name: "VI_1",
      vrid: 61,
      interface: "eth0",
      vips: ["10.77.0.100/24"],
      held: false,
    });
    // Nagios: tcpvs check vrrp against each running daemon.
    const ok = await runTcpvs(["check", "vrrp", "VI_1", "--expect", "master", "--control", ctl(1)]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^TCPVS VRRP OK - VI_1 is master, as expected .* \| priority=\d+;;;0;255\n$/);
    expect((await runTcpvs(["check", "vrrp", "VI_1", "--expect", "master", "--control", ctl(2)])).code).toBe(
      2,
    );
    expect((await runTcpvs(["check", "vrrp", "VI_1", "--expect", "backup", "--control", ctl(2)])).code).toBe(
      0,
    );
    const checkJson = await runTcpvs([
      "check",
      "vrrp",
      "VI_1",
      "--expect",
      "master",
      "--json",
      "--control",
      ctl(1),
    ]);
    expect(SCHEMAS.validate("check.schema.json", JSON.parse(checkJson.out))).toEqual([]);
    const one = await runTcpvs(["status", "vrrp", "VI_1", "--is", "backup", "--json", "--control", ctl(2)]);
    expect(one.code).toBe(0);
    const oneDoc = JSON.parse(one.out);
    expect(oneDoc).toMatchObject({ name: "VI_1", state: "backup", is: "backup", matches: true });
    expect(SCHEMAS.validate("status.schema.json#/$defs/vrrp", oneDoc)).toEqual([]);

    // Priority 50 < node 2's 100: node 2 preempts, node 1 steps down.
    const pr = await runTcpvs(["status", "vrrp", "VI_1", "priority", "50", "--control", ctl(1)]);
    expect(pr.code).toBe(0);
    await waitFor(async () => (await state(2))?.state === "master", 5000, "node 2 to take over");
    await waitFor(async () => (await state(1))?.state === "backup", 5000, "node 1 to step down");
    expect(lab.hasAddr(2, "10.77.0.100")).toBe(true);

    // normal: back to 150, node 1 preempts again.
    expect((await runTcpvs(["status", "vrrp", "VI_1", "normal", "--control", ctl(1)])).code).toBe(0);
    await waitFor(async () => (await state(1))?.state === "master", 5000, "node 1 to preempt back");

    // backup: held in BACKUP whatever its priority.
    expect((await runTcpvs(["status", "vrrp", "VI_1", "backup", "--control", ctl(1)])).code).toBe(0);
    await waitFor(async () => (await state(2))?.state === "master", 5000, "node 2 MASTER while 1 is held");
    // Node 1 hands over: it keeps the VIP a moment past node 2's first advert, then steps down.
    await waitFor(async () => (await state(1))?.state === "backup", 2000, "node 1 BACKUP once 2 is MASTER");
    // The hold is visible: a forgotten `normal` would otherwise keep node 1 backup unseen.
    expect(await state(1)).toMatchObject({ held: true });
    const shown = await runTcpvs(["status", "vrrp", "VI_1", "--control", ctl(1)]);
    expect(shown.out).toMatch(/VI_1 backup priority=\d+ held since/);
    expect((await runTcpvs(["status", "vrrp", "VI_1", "normal", "--control", ctl(1)])).code).toBe(0);
    await waitFor(async () => (await state(1))?.state === "master", 5000, "node 1 MASTER after release");
    expect(await state(1)).toMatchObject({ held: false });
  }, 40_000);

  // A priority change with no transition (operator "priority N" on a master that stays master) must
  // still reach status and tcpvs_vrrp_priority.
  test("status shows an operator priority that does not change the state", async () => {
    await waitFor(async () => (await state(1))?.state === "master", 5000, "node 1 MASTER");
    expect((await runTcpvs(["status", "vrrp", "VI_1", "priority", "120", "--control", ctl(1)])).code).toBe(0);
    try {
      await waitFor(async () => (await state(1))?.priority === 120, 2000, "status to show priority 120");
      expect((await state(1))?.state).toBe("master");
    } finally {
      await runTcpvs(["status", "vrrp", "VI_1", "normal", "--control", ctl(1)]);
    }
  });

  test("metrics from a VRRP-only node: state and transitions", async () => {
    const m = lab.sh(1, "curl -s --max-time 5 http://127.0.0.1:9109/metrics");
    expect(m.code).toBe(0);
    expect(m.out).toContain('tcpvs_vrrp_state{instance="VI_1"} 2');
    expect(m.out).toMatch(/tcpvs_events_total\{name="vrrp\.VI_1\.to_master"\} [1-9]/);
    const b = lab.sh(2, "curl -s --max-time 5 http://127.0.0.1:9109/metrics");
    expect(b.out).toContain('tcpvs_vrrp_state{instance="VI_1"} 1');
  }, 20_000);

  test("actions vrrp cannot do are refused with exit 1; unknown instances too", async () => {
    const rl = await runTcpvs(["status", "reload", "--control", ctl(1)]);
    expect(rl.code).toBe(1);
    expect(rl.err).toContain("reload");
    const un = await runTcpvs(["status", "vrrp", "VI_9", "backup", "--control", ctl(1)]);
    expect(un.code).toBe(1);
    expect(un.err).toContain('"VI_9"');
  }, 20_000);

  test("a control socket already served: vrrp exits 1 naming it, before starting its instance", async () => {
    const file = writeConfig(tmp.dir, vrrpToml(ctl(1), 90).replace("= 61", "= 62"), "n3.toml");
    const lp = lab.spawn(2, [BUN, MAIN, "vrrp", "-c", file]);
    const code = await Promise.race([lp.done, Bun.sleep(10_000).then(() => "timeout")]);
    expect(code).toBe(1);
    expect(lp.lines.join("\n")).toContain(`${tmp.dir}/c1.sock`);
    expect(lp.lines.join("\n")).not.toContain("entering");
    // The first node still answers on its socket.
    expect((await state(1))?.state).toBe("master");
  }, 20_000);

  test("SIGHUP and SIGUSR1 do not end vrrp: HUP reloads in place, USR1 dumps the state", async () => {
    const n1 = nodes[0]!;
    const from = n1.lines.length;
    n1.proc.kill("SIGHUP");
    await waitLine(n1, /config reloaded/, 5000, from);
    n1.proc.kill("SIGUSR1");
    const i = await waitLine(n1, /state vrrp/, 5000, from);
    expect(n1.lines[i]).toContain("VI_1");
    expect(n1.lines[i]).toContain("MASTER");
    await Bun.sleep(200);
    expect(n1.proc.exitCode).toBeNull();
    expect((await state(1))?.state).toBe("master");
  }, 20_000);

  test("SIGTERM resigns, exits 0 and removes the control socket", async () => {
    const n1 = nodes[0]!;
    n1.proc.kill("SIGTERM");
    expect(await exitWithin(n1, 5000)).toBe(0);
    expect(existsSync(`${tmp.dir}/c1.sock`)).toBe(false);
    // Node 2 takes over promptly after the priority-0 advert.
    await waitFor(async () => (await state(2))?.state === "master", 3000, "node 2 to take over");
    nodes[1]!.proc.kill("SIGTERM");
    expect(await exitWithin(nodes[1]!, 5000)).toBe(0);
  }, 20_000);
});
