// Moving one node of a keepalived pair to tcpvs: node 1 keeps running keepalived with its own
// keepalived.conf, node 2 runs `tcpvs vrrp` on the file `tcpvs import keepalived` made from node 2's
// keepalived.conf. The imported node must behave as the keepalived it replaces: stay backup under the
// higher priority, take over when keepalived stops, and yield when it comes back (preempt). keepalived's
// log shows it accepts the imported node's adverts (version 2, PASS auth, 1 s, the same router id).
// Root only (network namespaces).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { haveTool, isRoot, Lab, type Proc, waitFor, waitLine } from "../vrrp/lab.ts";
import { KA_COMPLAINTS, KEEPALIVED, killPid, readPid, stopProc } from "../vrrp/peers.ts";

const ROOT = isRoot();
const HAVE = haveTool(KEEPALIVED);
if (!ROOT) console.log("skipping the keepalived migration test: it needs root (ip netns, raw sockets)");
else if (!HAVE) console.log("skipping the keepalived migration test: /usr/sbin/keepalived is not installed");

const MAIN = join(import.meta.dir, "../../cmd/main.ts");
const VIP = "10.77.0.100";
const KA_MASTER = /\(VI_WEB\) Entering MASTER STATE/;
const KA_BACKUP = /\(VI_WEB\) Entering BACKUP STATE/;
const TV_MASTER = /"msg":"entering MASTER state"/;
const TV_BACKUP = /"msg":"entering BACKUP state"/;

let lab: Lab;
let dir: string;
const children: string[] = [];

beforeAll(() => {
  if (!ROOT || !HAVE) return;
  lab = new Lab(2);
  dir = mkdtempSync(join(tmpdir(), "tcpvs-migrate-"));
});
afterAll(() => {
  for (const f of children) killPid(readPid(f));
  lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One node's keepalived.conf, as the operator had it. */
function keepalivedConf(node: 1 | 2): string {
  const [state, priority] = node === 1 ? ["MASTER", 150] : ["BACKUP", 100];
  return `! node ${node}
global_defs {
  router_id lb${node}
}
vrrp_instance VI_WEB {
  state ${state}
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass s3cr3tpw
  }
  unicast_src_ip ${lab.ip(node)}
  unicast_peer {
    ${lab.ip(node === 1 ? 2 : 1)}
  }
  virtual_ipaddress {
    ${VIP}/24 dev eth0
  }
  garp_master_delay 1
}
`;
}

function startKeepalived(): { p: Proc; vrrpPid: string } {
  const tag = `${Date.now()}`;
  const conf = join(dir, "lb1.conf");
  writeFileSync(conf, keepalivedConf(1));
  const pid = (n: string) => join(dir, `${n}-${tag}.pid`);
  const vrrpPid = pid("vrrp");
  children.push(vrrpPid);
  const argv = [
    KEEPALIVED,
    "-n",
    "-l",
    "-D",
    "-P",
    "-f",
    conf,
    "-p",
    pid("main"),
    "-r",
    vrrpPid,
    "-c",
    pid("check"),
  ];
  return { p: lab.spawn(1, argv), vrrpPid };
}

describe.skipIf(!ROOT || !HAVE)("replacing one keepalived node by its import", () => {
  test("the imported backup interoperates with the keepalived master it used to pair with", async () => {
    const kaConf = join(dir, "lb2.conf");
    writeFileSync(kaConf, keepalivedConf(2));
    const toml = join(dir, "lb2.toml");
    const imp = Bun.spawnSync([process.execPath, MAIN, "import", "keepalived", kaConf, "--out", toml], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(imp.exitCode).toBe(0);
    expect(imp.stderr.toString()).toContain("; 0 not carried over\n"); // state BACKUP included
    expect(readFileSync(toml, "utf8")).toContain('state = "BACKUP"');
    // The node's own control socket, so the test does not touch /run/tcpvs.
    const text = readFileSync(toml, "utf8").replace(
      "[global]\n",
      `[global]\ncontrol = "unix:${dir}/ctl.sock"\n`,
    );
    writeFileSync(toml, text);

    const ka = startKeepalived();
    let tv: Proc | undefined;
    try {
      await waitLine(ka.p, KA_MASTER, 10_000);
      tv = lab.spawn(2, [process.execPath, MAIN, "vrrp", "-c", toml, "--log-format", "json"]);
      await waitLine(tv, TV_BACKUP, 5_000);
      await Bun.sleep(4_000); // longer than the master-down interval: the backup must stay backup
      expect(tv.lines.some((l) => TV_MASTER.test(l))).toBe(false);
      expect(lab.hasAddr(1, VIP) && !lab.hasAddr(2, VIP)).toBe(true);

      // keepalived stops (it resigns with priority 0): the imported node takes the VIP.
      const from = tv.lines.length;
      await stopProc(ka.p, 15);
      await waitLine(tv, TV_MASTER, 5_000, from);
      await waitFor(() => lab.hasAddr(2, VIP), 2_000, "tcpvs to add the VIP");

      // keepalived comes back with the higher priority and preempts, as the old pair did.
      const ka2 = startKeepalived();
      const back = tv.lines.length;
      await waitLine(ka2.p, KA_MASTER, 10_000);
      await waitLine(tv, TV_BACKUP, 5_000, back);
      await waitFor(() => !lab.hasAddr(2, VIP) && lab.hasAddr(1, VIP), 3_000, "the VIP to move back");
      const complaints = [...ka.p.lines, ...ka2.p.lines].filter(
        (l) => KA_COMPLAINTS.test(l) && !/NOTICE/.test(l),
      );
      expect(complaints).toEqual([]);
      expect(ka2.p.lines.some((l) => KA_BACKUP.test(l))).toBe(true); // it heard tcpvs as master first
      await stopProc(ka2.p, 15);
    } finally {
      if (tv) await stopProc(tv, 15);
      if (ka.p.proc.exitCode === null) await stopProc(ka.p, 9);
    }
  }, 60_000);
});
