// VRRP must not starve under data-path load: `tcpvs serve` with a VRRP instance (v3, 150 ms adverts)
// and an HTTP listener, saturated by wrk from inside its namespace for 30 s, keeps mastership with no
// transition, and a lower-priority `tcpvs vrrp` peer never sees a reason to become MASTER; track_pool
// carries the pool's quorum from serve's checks to the VRRP Worker. Root only;
// the namespaces are created here and always removed. TCPVS_LOAD_SECONDS shortens the run.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { haveTool, isRoot, Lab } from "../vrrp/lab.ts";
import {
  BUN,
  MAIN,
  type Proc,
  runTcpvs,
  statusJson,
  tempDir,
  waitFor,
  waitLine,
  writeConfig,
} from "./harness.ts";

const ROOT = isRoot();
const WRK = haveTool("wrk");
const SECONDS = Number(process.env.TCPVS_LOAD_SECONDS ?? 30);
// TCPVS_LOAD_WORKERS=auto (or N): serve's data path on every core, wrk with as many threads.
const WORKERS = process.env.TCPVS_LOAD_WORKERS ?? "1";
const WRK_THREADS = WORKERS === "1" ? 1 : 2;
if (!ROOT) console.log("skipping VRRP-under-load test: it needs root for network namespaces");
else if (!WRK) console.log("skipping VRRP-under-load test: wrk is not installed (apt-get install wrk)");

const BACKEND = join(import.meta.dir, "fixtures/backend.ts");

function serveToml(control: string): string {
  return `[global]
control = "${control}"
grace = "2s"
workers = ${WORKERS === "auto" ? '"auto"' : WORKERS}

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
virtual_ipaddress = ["10.77.0.100/24"]
track_pool = [{ name = "app", weight = -100 }]
`;
}

function peerToml(control: string): string {
  return `[global]
control = "${control}"

[vrrp.VI_1]
interface = "eth0"
virtual_router_id = 71
priority = 100
advert_int = "150ms"
version = 3
virtual_ipaddress = ["10.77.0.100/24"]
`;
}

describe.skipIf(!ROOT || !WRK)("VRRP under full HTTP load", () => {
  let lab: Lab;
  let tmp: ReturnType<typeof tempDir>;
  let master: Proc;
  let peer: Proc;
  let backendProc: Proc;
  const ctl = (n: string) => `unix:${tmp.dir}/${n}.sock`;

  beforeAll(async () => {
    lab = new Lab(2);
    tmp = tempDir();
    backendProc = lab.spawn(1, [BUN, BACKEND, "9001", "b1"]);
    await waitLine(backendProc, /listening/, 10_000);
    master = lab.spawn(1, [BUN, MAIN, "serve", "-c", writeConfig(tmp.dir, serveToml(ctl("m")), "m.toml")]);
    await waitLine(master, /tcpvs serving/, 15_000);
    await waitFor(
      async () => (await statusJson(ctl("m"))).vrrp[0]?.state === "master",
      5000,
      "the serve node to become MASTER",
    );
    peer = lab.spawn(2, [BUN, MAIN, "vrrp", "-c", writeConfig(tmp.dir, peerToml(ctl("p")), "p.toml")]);
    await waitLine(peer, /entering BACKUP state/, 10_000);
  }, 60_000);

  afterAll(() => {
    lab?.destroy();
    tmp?.cleanup();
  });

  test(
    `keeps mastership for ${SECONDS} s of wrk -t${WRK_THREADS} -c50 (workers = ${WORKERS}) with no transition at either node`,
    async () => {
      const before = await statusJson(ctl("m"));
      const peerFrom = peer.lines.length;
      const w = lab.spawn(1, ["wrk", `-t${WRK_THREADS}`, "-c50", `-d${SECONDS}s`, "http://127.0.0.1:8080/"]);
      // Sample the master's view every 2 s while the load runs (bounded by the wrk run).
      const states = new Set<string>();
      let statusFailures = 0;
      const end = Date.now() + (SECONDS + 15) * 1000;
      while (w.proc.exitCode === null && Date.now() < end) {
        await Bun.sleep(2000);
        const s = await statusJson(ctl("m")).catch(() => undefined);
        if (s) states.add(s.vrrp[0]!.state);
        else statusFailures++;
      }
      expect(await w.done).toBe(0);
      const out = w.lines.join("\n");
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? "0");
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? "0");

      const after = await statusJson(ctl("m"));
      const transitions = (s: typeof after) =>
        Object.entries(s.counters)
          .filter(([k]) => k.startsWith("vrrp.VI_1.to_"))
          .reduce((n, [, v]) => n + v, 0);
      const masterTransitions = transitions(after) - transitions(before);
      const peerMaster = peer.lines.slice(peerFrom).filter((l) => /entering MASTER state/.test(l)).length;
      const peerStatus = await statusJson(ctl("p"));
      console.log(
        `workers = ${WORKERS}, wrk -t${WRK_THREADS} -c50 -d${SECONDS}s: ${rps} req/s, non-2xx ${non2xx}; ` +
          `master transitions ${masterTransitions}, peer MASTER transitions ${peerMaster}, ` +
          `status queries failed during load: ${statusFailures}`,
      );
      expect(rps).toBeGreaterThan(0);
      expect(non2xx).toBe(0);
      // The control channel shares the main thread with the switch: it must still answer under load.
      expect(statusFailures).toBe(0);
      expect([...states]).toEqual(["master"]);
      expect(after.vrrp[0]!.state).toBe("master");
      expect(masterTransitions).toBe(0);
      expect(peerMaster).toBe(0);
      expect(peerStatus.vrrp[0]!.state).toBe("backup");
      expect(peerStatus.counters["vrrp.VI_1.to_master"] ?? 0).toBe(0);
      // The switch really carried the load.
      const served = after.pools[0]!.servers[0]!.requests_total - before.pools[0]!.servers[0]!.requests_total;
      expect(served).toBeGreaterThan(rps * SECONDS * 0.5);
    },
    (SECONDS + 60) * 1000,
  );

  test("serve's VRRP answers the control channel's actions and the state dump", async () => {
    const mst = async () => (await statusJson(ctl("m"))).vrrp[0]?.state;
    const pst = async () => (await statusJson(ctl("p"))).vrrp[0]?.state;
    const run = (args: string[]) => runTcpvs(["status", "vrrp", "VI_1", ...args, "--control", ctl("m")]);
    expect((await run(["backup"])).code).toBe(0);
    await waitFor(async () => (await pst()) === "master", 5000, "the peer to take over");
    await waitFor(async () => (await mst()) === "backup", 5000, "serve to be held in BACKUP");
    expect((await run(["normal"])).code).toBe(0);
    await waitFor(async () => (await mst()) === "master", 5000, "serve to preempt back");
    const from = master.lines.length;
    master.proc.kill("SIGUSR1");
    const i = await waitLine(master, /state vrrp/, 5000, from);
    expect(master.lines[i]).toContain("VI_1");
    expect(master.lines[i]).toContain("MASTER");
  }, 30_000);

  test("track_pool: the pool losing quorum in serve's checks hands the VIP over, and back", async () => {
    const mst = async () => (await statusJson(ctl("m"))).vrrp[0];
    const pst = async () => (await statusJson(ctl("p"))).vrrp[0]?.state;
    // checker -> cluster pool event -> bridge -> Worker: priority 150 - 100 = 50 < the peer's 100.
    backendProc.proc.kill("SIGKILL");
    await backendProc.done;
    await waitFor(async () => (await pst()) === "master", 8000, "the peer to take over on quorum loss");
    await waitFor(async () => (await mst())?.state === "backup", 3000, "serve to step down");
    expect((await mst())?.priority).toBe(50);
    backendProc = lab.spawn(1, [BUN, BACKEND, "9001", "b1"]);
    await waitLine(backendProc, /listening/, 10_000);
    await waitFor(async () => (await mst())?.state === "master", 8000, "serve to preempt back with quorum");
    expect((await mst())?.priority).toBe(150);
    expect(await pst()).toBe("backup");
  }, 40_000);

  test("SIGTERM on serve resigns: the peer takes over at once, serve exits 0", async () => {
    master.proc.kill("SIGTERM");
    await waitFor(async () => (await statusJson(ctl("p"))).vrrp[0]?.state === "master", 3000, "the peer");
    expect(await Promise.race([master.done, Bun.sleep(8000).then(() => "timeout")])).toBe(0);
    expect(lab.hasAddr(1, "10.77.0.100")).toBe(false);
  }, 20_000);
});
