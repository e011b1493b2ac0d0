// IPv6 VRRPv3 through `tcpvs serve`'s Worker: two serve processes in network namespaces elect one master
// for an IPv6 VIP that a third node reaches over HTTP; SIGKILL on the master's serve moves the VIP to the
// backup within its master-down interval plus a second, and status tells both states; the restarted
// serve clears the VIP the crash left, preempts, and resigns on SIGTERM. Root only; the namespaces are
// created here and always removed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { isRoot, Lab } from "../vrrp/lab.ts";
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
if (!ROOT)
  console.log("skipping IPv6 VRRP through serve: it needs root for network namespaces and raw sockets");

const BACKEND = join(import.meta.dir, "fixtures/backend.ts");
const VIP = "fd00:51::100";
// v3, 200 ms adverts, backup priority 100: master down = 3 * 200 + (256 - 100) * 200 / 256 = 721 ms.
const DOWN_100 = 721;

function serveToml(control: string, priority: number): string {
  return `[global]
control = "${control}"
grace = "1s"

[[virtual_server]]
name = "web"
listen = ["[::]:8080"]
mode = "http"
pool = "app"

[pool.app]
scheduler = "rr"
  [[pool.app.server]]
  name = "local"
  address = "127.0.0.1:9001"
  [pool.app.check]
  type = "tcp"
  interval = "300ms"
  timeout = "200ms"

[vrrp.VI6]
interface = "eth0"
virtual_router_id = 51
priority = ${priority}
advert_int = "200ms"
version = 3
garp_master_delay = "0s"
virtual_ipaddress = ["${VIP}/64"]
`;
}

describe.skipIf(!ROOT)("IPv6 VRRP in tcpvs serve", () => {
  let lab: Lab;
  let tmp: ReturnType<typeof tempDir>;
  const serve: Record<number, Proc> = {};
  const ctl = (i: number) => `unix:${tmp.dir}/c${i}.sock`;
  const vi6 = async (i: number) => (await statusJson(ctl(i))).vrrp.find((v) => v.name === "VI6");
  const transitions = async (i: number) =>
    Object.entries((await statusJson(ctl(i))).counters)
      .filter(([k]) => k.startsWith("vrrp.VI6.to_"))
      .reduce((n, [, v]) => n + v, 0);
  // What node 3 (the client) gets from the VIP: the body names the backend of the node holding it.
  const viaVip = () => lab.sh(3, `curl -s --max-time 2 http://[${VIP}]:8080/`).out.trim();

  beforeAll(async () => {
    lab = new Lab(3, { ipv6: true });
    tmp = tempDir("tcpvs-v6serve-");
    // The client's own prefix is fd00:77::/64: tell it the VIP's prefix is on the same link.
    lab.run(["ip", "-n", lab.ns(3), "-6", "route", "add", "fd00:51::/64", "dev", "eth0"]);
    for (const i of [1, 2]) {
      const b = lab.spawn(i, [BUN, BACKEND, "9001", `b${i}`]);
      await waitLine(b, /listening/, 10_000);
    }
    // Both at once: the election, not the start order, must settle on node 1. (Whichever Worker starts
    // first may be MASTER for a moment before the other's first advert: that is the protocol.)
    for (const [i, prio] of [
      [1, 150],
      [2, 100],
    ] as const) {
      const file = writeConfig(tmp.dir, serveToml(ctl(i), prio), `n${i}.toml`);
      serve[i] = lab.spawn(i, [BUN, MAIN, "serve", "-c", file]);
    }
    await Promise.all([1, 2].map((i) => waitLine(serve[i]!, /tcpvs serving/, 15_000)));
  }, 30_000);

  afterAll(() => {
    lab?.destroy();
    tmp?.cleanup();
  });

  test("exactly one MASTER holds the IPv6 VIP; status tells each node's state", async () => {
    await waitFor(async () => (await vi6(1))?.state === "master", 5000, "node 1 MASTER in its status");
    await waitFor(async () => (await vi6(2))?.state === "backup", 5000, "node 2 BACKUP in its status");
    // Several master-down intervals later nothing has moved: node 2 hears node 1's adverts.
    const before = [await transitions(1), await transitions(2)];
    await Bun.sleep(3 * DOWN_100);
    expect([await transitions(1), await transitions(2)]).toEqual(before);
    const [s1, s2] = [await statusJson(ctl(1)), await statusJson(ctl(2))];
    expect(s1.role).toBe("serve");
    expect(s1.vrrp[0]).toMatchObject({ state: "master", priority: 150, master: lab.linkLocal(1) });
    // The backup names the master it hears (learnt from adverts after its own transition).
    expect(s2.vrrp[0]).toMatchObject({ state: "backup", priority: 100, master: lab.linkLocal(1) });
    expect(lab.sh(1, "ip -6 -o addr show dev eth0").out).toContain(` ${VIP}/64`);
    expect(lab.sh(2, "ip -6 -o addr show dev eth0").out).not.toContain(` ${VIP}/`);
    // The human table and the scripted query agree.
    const table = await runTcpvs(["status", "--control", ctl(1)]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/VI6\s+master\s+150/);
    expect((await runTcpvs(["status", "vrrp", "VI6", "--is", "master", "--control", ctl(1)])).code).toBe(0);
    expect((await runTcpvs(["status", "vrrp", "VI6", "--is", "master", "--control", ctl(2)])).code).toBe(1);
    // serve's listener answers on the VIP, from node 1.
    await waitFor(() => viaVip() === "b1", 5000, "node 3 to reach node 1's serve through the VIP");
  }, 20_000);

  test("SIGKILL on the master's serve: the backup takes the VIP within master down + 1 s", async () => {
    // Node 3 must hold a neighbour entry for the VIP (node 1's MAC) for the advert to repoint; and the
    // killed node's kernel keeps the VIP, so a fresh multicast solicitation could be answered by either.
    await waitFor(() => viaVip() === "b1", 5000, "node 3 to reach node 1 through the VIP");
    const from = serve[2]!.lines.length;
    serve[1]!.proc.kill(9);
    const took = await waitFor(() => lab.hasAddr(2, VIP), DOWN_100 + 1000, "node 2 to add the VIP");
    expect(await serve[1]!.done).not.toBe(0);
    await waitLine(serve[2]!, /entering MASTER state/, 1000, from);
    expect(await vi6(2)).toMatchObject({ state: "master", priority: 100, master: lab.linkLocal(2) });
    const table = await runTcpvs(["status", "--control", ctl(2)]);
    expect(table.out).toMatch(/VI6\s+master\s+100/);
    expect((await runTcpvs(["status", "vrrp", "VI6", "--is", "master", "--control", ctl(2)])).code).toBe(0);
    // The unsolicited neighbour advert from the Worker repoints node 3: the VIP now answers from node 2.
    const moved = await waitFor(() => viaVip() === "b2", 3000, "node 3 to reach node 2's serve");
    console.log(
      `IPv6 VRRP through serve: VIP on node 2 ${took} ms after SIGKILL (master down ${DOWN_100} ms); ` +
        `node 3 reached node 2's serve through it ${moved} ms later`,
    );
  }, 15_000);

  test("a restarted serve clears the VIP its crash left and preempts; SIGTERM resigns at once", async () => {
    expect(lab.hasAddr(1, VIP)).toBe(true);
    serve[1] = lab.spawn(1, [BUN, MAIN, "serve", "-c", join(tmp.dir, "n1.toml")]);
    await waitLine(serve[1], /removed a VIP left behind/, 10_000);
    await waitLine(serve[1], /tcpvs serving/, 10_000);
    await waitFor(async () => (await vi6(1))?.state === "master", 5000, "node 1 to preempt");
    await waitFor(async () => (await vi6(2))?.state === "backup", 2000, "node 2 to step down");
    expect(lab.hasAddr(2, VIP)).toBe(false);
    // Resigning sends priority 0: node 2 waits only its skew time, not a whole master-down interval.
    serve[1].proc.kill("SIGTERM");
    const took = await waitFor(async () => (await vi6(2))?.state === "master", 3000, "node 2 to take over");
    expect(await Promise.race([serve[1].done, Bun.sleep(8000).then(() => "timeout")])).toBe(0);
    expect(lab.hasAddr(1, VIP)).toBe(false);
    expect(lab.hasAddr(2, VIP)).toBe(true);
    console.log(`IPv6 VRRP through serve: node 2 MASTER ${took} ms after SIGTERM on node 1`);
  }, 20_000);
});
