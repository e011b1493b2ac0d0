// VRRP must not starve under data-path load: `tcpvs serve` with the default `workers` ("auto": every
// usable core), a VRRP instance (v3, 150 ms adverts) and an HTTP listener, saturated by wrk from inside
// its namespace with a thread per core, keeps mastership with no transition, and a lower-priority
// keepalived peer never sees a reason to become MASTER (its own log says so); track_pool carries the
// pool's quorum from serve's checks to the VRRP Worker. Root only; the namespaces are created here and
// always removed, keepalived's VRRP child is killed by PID. TCPVS_LOAD_SECONDS changes the length of
// the load (default 15 s), TCPVS_LOAD_WORKERS forces serve's worker count.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { usableCpus } from "../../core/sys/cpu-count.ts";
import { haveTool, isRoot, Lab } from "../vrrp/lab.ts";
import {
  KA_BACKUP,
  KA_COMPLAINTS,
  KA_MASTER,
  KEEPALIVED,
  killPid,
  readPid,
  startKeepalived,
} from "../vrrp/peers.ts";
import {
  BUN,
  MAIN,
  type Proc,
  runTcpvs,
  statusJson,
  tempDir,
  threadNice,
  waitFor,
  waitLine,
  writeConfig,
} from "./harness.ts";

const ROOT = isRoot();
const WRK = haveTool("wrk");
const KA = haveTool(KEEPALIVED);
const SECONDS = Number(process.env.TCPVS_LOAD_SECONDS ?? 15);
const FORCED = process.env.TCPVS_LOAD_WORKERS;
const WORKERS = FORCED && FORCED !== "auto" ? Number(FORCED) : usableCpus();
// Every core busy: a wrk thread per core the data path may use, next to serve's workers.
const WRK_THREADS = Math.min(16, Math.max(2, usableCpus())); // wrk needs a connection per thread
if (!ROOT) console.log("skipping VRRP-under-load test: it needs root for network namespaces");
else if (!WRK) console.log("skipping VRRP-under-load test: wrk is not installed (apt-get install wrk)");
else if (!KA)
  console.log(`skipping VRRP-under-load test: ${KEEPALIVED} is not installed (apt-get install keepalived)`);

const BACKEND = join(import.meta.dir, "fixtures/backend.ts");
const VIP = "10.77.0.100";

function serveToml(control: string): string {
  return `[global]
control = "${control}"
grace = "2s"
${FORCED ? `workers = ${FORCED === "auto" ? '"auto"' : Number(FORCED)}\n` : ""}
[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8080"]
mode = "http"
pool = "app"

[pool.app]
scheduler = "rr"
  [[pool.app.server]]
  name = "b1"
  address = "127.0.0.1:9001"
  [pool.app.check]
  type = "tcp"
  interval = "1s"
  timeout = "500ms"

[vrrp.VI_1]
interface = "eth0"
virtual_router_id = 71
priority = 150
advert_int = "150ms"
version = 3
virtual_ipaddress = ["${VIP}/24"]
track_pool = [{ name = "app", weight = -100 }]
`;
}

describe.skipIf(!ROOT || !WRK || !KA)("VRRP under full HTTP load, keepalived as the peer", () => {
  let lab: Lab;
  let tmp: ReturnType<typeof tempDir>;
  let master: Proc;
  let peer: Proc;
  let backendProc: Proc;
  /** keepalived's forked VRRP process: killed by PID in afterAll even when a test timed out. */
  const children: string[] = [];
  let control = "";
  const peerMasterLines = (from: number) => peer.lines.slice(from).filter((l) => KA_MASTER.test(l)).length;
  const mst = async () => (await statusJson(control)).vrrp[0];

  beforeAll(async () => {
    lab = new Lab(2);
    tmp = tempDir();
    control = `unix:${tmp.dir}/m.sock`;
    backendProc = lab.spawn(1, [BUN, BACKEND, "9001", "b1"]);
    await waitLine(backendProc, /listening/, 10_000);
    master = lab.spawn(1, [BUN, MAIN, "serve", "-c", writeConfig(tmp.dir, serveToml(control), "m.toml")]);
    await waitLine(master, /tcpvs serving/, 15_000);
    await waitFor(async () => (await mst())?.state === "master", 5000, "the serve node to become MASTER");
    peer = startKeepalived(
      lab,
      tmp.dir,
      2,
      { version: 3, vrid: 71, intervalMs: 150, priority: 100, vip: `${VIP}/24` },
      children,
    ).p;
    await waitLine(peer, KA_BACKUP, 10_000);
  }, 60_000);

  afterAll(() => {
    for (const f of children) killPid(readPid(f));
    lab?.destroy();
    tmp?.cleanup();
  });

  test(
    `keeps mastership for ${SECONDS} s of wrk -t${WRK_THREADS} -c50 (workers = ${WORKERS}) with no transition at either node`,
    async () => {
      const before = await statusJson(control);
      expect(before.workers.length).toBe(WORKERS);
      // Who wins the CPU (core/sys/cpu-priority.ts): VRRP's thread at -10, the main thread (checks,
      // control) at -5, the data path at 0.
      const nice = threadNice(master.proc.pid);
      expect(nice.get(master.proc.pid)).toBe(-5);
      expect([...nice.values()]).toContain(-10);
      if (WORKERS > 1)
        expect([...nice.values()].filter((n) => n === 0).length).toBeGreaterThanOrEqual(WORKERS);
      const peerFrom = peer.lines.length;
      const masterFrom = master.lines.length;
      const w = lab.spawn(1, ["wrk", `-t${WRK_THREADS}`, "-c50", `-d${SECONDS}s`, "http://127.0.0.1:8080/"]);
      // Sample both nodes every second while the load runs (bounded by the wrk run).
      const states = new Set<string>();
      let statusFailures = 0;
      let peerHeldVip = 0;
      const end = Date.now() + (SECONDS + 10) * 1000;
      while (w.proc.exitCode === null && Date.now() < end) {
        await Bun.sleep(1000);
        const s = await statusJson(control).catch(() => undefined);
        if (s) states.add(s.vrrp[0]!.state);
        else statusFailures++;
        if (lab.hasAddr(2, VIP)) peerHeldVip++;
      }
      expect(await w.done).toBe(0);
      const out = w.lines.join("\n");
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? "0");
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? "0");

      const after = await statusJson(control);
      const transitions = (s: typeof after) =>
        Object.entries(s.counters)
          .filter(([k]) => k.startsWith("vrrp.VI_1.to_"))
          .reduce((n, [, v]) => n + v, 0);
      const masterTransitions = transitions(after) - transitions(before);
      const peerLog = peer.lines.slice(peerFrom);
      const complaints = peerLog.filter((l) => KA_COMPLAINTS.test(l) && !/NOTICE/.test(l));
      console.log(
        `workers = ${WORKERS}, wrk -t${WRK_THREADS} -c50 -d${SECONDS}s: ${rps} req/s, non-2xx ${non2xx}; ` +
          `master transitions ${masterTransitions}, keepalived MASTER transitions ${peerMasterLines(peerFrom)}, ` +
          `status queries failed during load: ${statusFailures}, keepalived log lines: ${peerLog.length}`,
      );
      // Whatever either node said during the load (nothing, when all is well): the evidence on failure.
      const said = master.lines.slice(masterFrom).filter((l) => /WARN|ERROR|state|DOWN|priority/.test(l));
      if (said.length + peerLog.length > 0)
        console.log(`serve during the load:\n  ${said.join("\n  ")}\nkeepalived:\n  ${peerLog.join("\n  ")}`);
      expect(rps).toBeGreaterThan(0);
      expect(non2xx).toBe(0);
      // The control channel shares the main thread with the control plane: it must still answer.
      expect(statusFailures).toBe(0);
      expect([...states]).toEqual(["master"]);
      expect(after.vrrp[0]!.state).toBe("master");
      expect(masterTransitions).toBe(0);
      // keepalived never took the VIP, never logged MASTER, and found nothing wrong in our adverts.
      expect(peerMasterLines(peerFrom)).toBe(0);
      expect(peerHeldVip).toBe(0);
      expect(complaints).toEqual([]);
      expect(lab.hasAddr(1, VIP)).toBe(true);
      // The switch really carried the load.
      const served = after.pools[0]!.servers[0]!.requests_total - before.pools[0]!.servers[0]!.requests_total;
      expect(served).toBeGreaterThan(rps * SECONDS * 0.5);
    },
    (SECONDS + 30) * 1000,
  );

  test("serve's VRRP answers the control channel's actions and the state dump", async () => {
    const run = (args: string[]) => runTcpvs(["status", "vrrp", "VI_1", ...args, "--control", control]);
    let from = peer.lines.length;
    expect((await run(["backup"])).code).toBe(0);
    await waitLine(peer, KA_MASTER, 5000, from);
    await waitFor(async () => (await mst())?.state === "backup", 5000, "serve to be held in BACKUP");
    from = peer.lines.length;
    expect((await run(["normal"])).code).toBe(0);
    await waitFor(async () => (await mst())?.state === "master", 5000, "serve to preempt back");
    await waitLine(peer, KA_BACKUP, 5000, from);
    const at = master.lines.length;
    master.proc.kill("SIGUSR1");
    const i = await waitLine(master, /state vrrp/, 5000, at);
    expect(master.lines[i]).toContain("VI_1");
    expect(master.lines[i]).toContain("MASTER");
  }, 20_000);

  test("track_pool: the pool losing quorum in serve's checks hands the VIP over, and back", async () => {
    // checker -> cluster pool event -> bridge -> Worker: priority 150 - 100 = 50 < keepalived's 100.
    let from = peer.lines.length;
    backendProc.proc.kill("SIGKILL");
    await backendProc.done;
    await waitLine(peer, KA_MASTER, 8000, from);
    await waitFor(async () => (await mst())?.state === "backup", 3000, "serve to step down");
    expect((await mst())?.priority).toBe(50);
    from = peer.lines.length;
    backendProc = lab.spawn(1, [BUN, BACKEND, "9001", "b1"]);
    await waitLine(backendProc, /listening/, 10_000);
    await waitFor(async () => (await mst())?.state === "master", 8000, "serve to preempt back with quorum");
    expect((await mst())?.priority).toBe(150);
    await waitLine(peer, KA_BACKUP, 3000, from);
  }, 30_000);

  test("SIGTERM on serve resigns: keepalived takes over at once, serve exits 0", async () => {
    const from = peer.lines.length;
    master.proc.kill("SIGTERM");
    await waitLine(peer, KA_MASTER, 3000, from);
    expect(await Promise.race([master.done, Bun.sleep(8000).then(() => "timeout")])).toBe(0);
    expect(lab.hasAddr(1, VIP)).toBe(false);
  }, 15_000);
});
