// `tcpvs check vrrp NAME --expect STATE` against a real control channel (the daemon's own server on a
// unix socket, fed a cluster): the Nagios verdicts, the perfdata, and the JSON.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { runVrrpCheck } from "../../core/cli/vrrp-check.ts";
import { ControlServer } from "../../core/control/control-server.ts";
import type { Cluster } from "../../core/state/cluster.ts";
import { makeCluster, makeProvider, tempDir } from "../control/fixture.ts";

let tmp: ReturnType<typeof tempDir>;
let server: ControlServer;
let cluster: Cluster;
let address = "";

beforeAll(async () => {
  tmp = tempDir();
  cluster = makeCluster();
  const { provider } = makeProvider(cluster);
  const path = join(tmp.dir, "control.sock");
  address = `unix:${path}`;
  server = await ControlServer.start({ endpoint: { kind: "unix", path, text: address }, provider });
});

afterAll(async () => {
  await server.stop();
  tmp.cleanup();
});

async function check(name: string | undefined, expectState?: string, json = false, at = address) {
  let text = "";
  const code = await runVrrpCheck({
    name,
    expect: expectState,
    json,
    quiet: false,
    target: () => ({ controlAddress: at }),
    write: (t) => {
      text += t;
    },
  });
  return { code, text };
}

test("the expected state is OK with the priority as perfdata; another is CRITICAL", async () => {
  expect(await check("VI_1", "master")).toEqual({
    code: 0,
    text: "TCPVS VRRP OK - VI_1 is master, as expected (priority 150) | priority=150;;;0;255\n",
  });
  const other = await check("VI_1", "backup");
  expect(other.code).toBe(2);
  expect(other.text).toStartWith("TCPVS VRRP CRITICAL - VI_1 is master, expected backup");
  // With no --expect, master and backup are both fine; fault is not.
  expect((await check("VI_1")).code).toBe(0);
  cluster.vrrp.set("VI_1", { state: "FAULT", priority: 0, since: 1, reason: "interface eth0 down" });
  expect(await check("VI_1")).toMatchObject({
    code: 2,
    text: expect.stringContaining("interface eth0 down"),
  });
  cluster.vrrp.set("VI_1", { state: "MASTER", priority: 150, since: 1, reason: "priority" });
});

test("an instance an operator holds in backup is a WARNING, even when backup is expected", async () => {
  cluster.vrrp.set("VI_1", { state: "BACKUP", priority: 150, since: 1, reason: "held" });
  cluster.vrrpOperator.set("VI_1", { held: true, heldAt: 1 });
  try {
    const r = await check("VI_1", "backup");
    expect(r.code).toBe(1);
    expect(r.text).toContain("held in backup by an operator");
    const j = JSON.parse((await check("VI_1", "backup", true)).text);
    expect(j).toMatchObject({
      status: "warning",
      exit_code: 1,
      vrrp: { name: "VI_1", state: "backup", held: true },
    });
  } finally {
    cluster.vrrpOperator.delete("VI_1");
    cluster.vrrp.set("VI_1", { state: "MASTER", priority: 150, since: 1, reason: "priority" });
  }
});

test("UNKNOWN for a bad call or an unknown instance; CRITICAL when the daemon is not there", async () => {
  expect((await check(undefined)).code).toBe(3);
  expect((await check("VI_1", "primary")).text).toBe(
    'TCPVS VRRP UNKNOWN - Use --expect master or --expect backup, not "primary"\n',
  );
  expect(await check("VI_9", "master")).toMatchObject({ code: 3, text: expect.stringContaining("(VI_1)") });
  const gone = await check("VI_1", "master", false, `unix:${tmp.dir}/none.sock`);
  expect(gone.code).toBe(2);
  expect(gone.text).toStartWith("TCPVS VRRP CRITICAL - Cannot connect to");
});
