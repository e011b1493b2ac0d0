import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../core/config/load.ts";
import { checkPeers, formatPeerProblem } from "../../core/config/peer-check.ts";

const POOL = `
[[virtual_server]]
name = "web"
listen = ["192.0.2.10:80"]
pool = "app"

[pool.app]
scheduler = "wlc"
[[pool.app.server]]
address = "10.0.0.1:8080"
[[pool.app.server]]
address = "10.0.0.2:8080"
`;

function node(priority: number, extra = "", vrrpExtra = "", pool = POOL): string {
  return `${pool}
[vrrp.VI_1]
interface = "eth0"
virtual_router_id = 51
priority = ${priority}
advert_int = "1s"
version = 2
auth_pass = "secret"
virtual_ipaddress = ["192.0.2.10/24", "192.0.2.11/24"]
${vrrpExtra}
${extra}`;
}

function check(a: string, b: string): string[] {
  const side = (file: string, text: string) => ({ file, text, config: parseConfig(text, file) });
  return checkPeers(side("a.toml", a), side("b.toml", b)).map(formatPeerProblem);
}

/** 1-based line of the first line starting with `prefix` after the line `after`. */
function line(text: string, prefix: string, after = "[vrrp.VI_1]"): number {
  const lines = text.split("\n");
  const from = lines.indexOf(after);
  return from + 1 + lines.slice(from).findIndex((l) => l.startsWith(prefix));
}

describe("config check --peer (checkPeers)", () => {
  test("a matching pair: nothing to say", () => {
    expect(check(node(150), node(100))).toEqual([]);
  });

  test("errors: router id, VIPs, advert_int, version, auth, checksum mode, each at its line", () => {
    const a = node(150, "v3_checksum_no_pseudo_header = false");
    const b = node(100, "v3_checksum_no_pseudo_header = true")
      .replace("virtual_router_id = 51", "virtual_router_id = 52")
      .replace('"192.0.2.11/24"', '"192.0.2.12/24"')
      .replace('advert_int = "1s"', 'advert_int = "2s"')
      .replace('auth_pass = "secret"', 'auth_pass = "other"');
    const out = check(a, b);
    const at = (key: string) => `a.toml:${line(a, key)}:1: error: vrrp.VI_1.${key}: `;
    const peer = (key: string) => `b.toml:${line(b, key)}:1`;
    expect(out).toEqual([
      `${at("virtual_router_id")}51 here but 52 in ${peer("virtual_router_id")}: both nodes of an instance must agree, or they are two routers`,
      `${at("advert_int")}1000 here but 2000 in ${peer("advert_int")}: both nodes of an instance must agree (milliseconds shown): adverts would be refused`,
      `${at("auth_pass")}"secret" here but "other" in ${peer("auth_pass")}: both nodes of an instance must agree: adverts would fail authentication`,
      `${at("virtual_ipaddress")}["192.0.2.10/24","192.0.2.11/24"] here but ["192.0.2.10/24","192.0.2.12/24"] in ${peer("virtual_ipaddress")}: both nodes of an instance must agree: the backup would drop the master's adverts`,
      `${at("v3_checksum_no_pseudo_header")}false here but true in ${peer("v3_checksum_no_pseudo_header")}: both nodes of an instance must agree: adverts would fail the checksum`,
    ]);
    const v3 = node(150).replace("version = 2", "version = 3").replace('auth_pass = "secret"', "");
    expect(check(v3, node(100).replace('auth_pass = "secret"', ""))[0]).toContain(
      "error: vrrp.VI_1.version: 3 here but 2 in b.toml",
    );
  });

  test("errors: equal priorities; both 255 is reported in both files", () => {
    expect(check(node(100), node(100))).toEqual([
      `a.toml:${line(node(100), "priority")}:1: error: vrrp.VI_1.priority: priority 100 here and in b.toml:${line(node(100), "priority")}:1: equal priorities leave mastership to the higher address; give the intended master the higher one`,
    ]);
    const both = check(node(255), node(255));
    expect(both.map((l) => l.split(":")[0])).toEqual(["a.toml", "b.toml"]);
    expect(both[1]).toContain("both nodes claim to own the addresses (255)");
  });

  test("instances are paired by name, else by virtual_router_id; one with no partner is a warning", () => {
    const b = node(150).replace("[vrrp.VI_1]", "[vrrp.web]");
    expect(check(node(150), b)).toEqual([
      `a.toml:${line(node(150), "priority")}:1: error: vrrp.VI_1.priority: priority 150 here and in b.toml:${line(b, "priority", "[vrrp.web]")}:1: equal priorities leave mastership to the higher address; give the intended master the higher one`,
    ]);
    const c = node(100)
      .replace("[vrrp.VI_1]", "[vrrp.other]")
      .replace("virtual_router_id = 51", "virtual_router_id = 9");
    expect(check(node(150), c)).toEqual([
      `a.toml:${line(node(150), "[vrrp.VI_1]", "")}:1: warning: vrrp.VI_1: instance VI_1 is only on this node: nothing backs it up`,
      `b.toml:${line(c, "[vrrp.other]", "")}:1: warning: vrrp.other: instance other is only on this node: nothing backs it up`,
    ]);
  });

  test("error: unicast on one node, multicast on the other", () => {
    const a = node(150, "", 'unicast_peer = ["192.0.2.2"]');
    expect(check(a, node(100))).toEqual([
      `a.toml:${line(a, "unicast_peer")}:1: error: vrrp.VI_1.unicast_peer: unicast here but multicast in b.toml:${line(node(100), "[vrrp.VI_1]", "")}:1: the nodes would never hear each other`,
    ]);
  });

  test("warning: a track weight too small to move mastership (master 150, weight -30, backup 100)", () => {
    const a = node(
      150,
      "",
      'track_interface = [{ name = "eth1", weight = -30 }, { name = "eth2", weight = -60 }]',
    );
    const out = check(a, node(100));
    expect(out).toEqual([
      `a.toml:${line(a, "track_interface")}:20: warning: vrrp.VI_1.track_interface[0]: a failed track_interface "eth1" takes priority 150 to 120, still above the peer's 100: mastership never moves for it; use a weight beyond 50`,
    ]);
    // The master may be the second file; a positive weight counts while its item is up.
    const b = node(130, "", 'track_script = [{ script = "/bin/true", weight = 10 }]');
    expect(check(node(100), b)).toEqual([
      `b.toml:${line(b, "track_script")}:17: warning: vrrp.VI_1.track_script[0]: a failed track_script "/bin/true" takes priority 140 to 130, still above the peer's 100: mastership never moves for it; use a weight beyond 40`,
    ]);
    // Weights that do hand over: nothing to say.
    expect(
      check(node(150, "", 'track_pool = []\ntrack_interface = [{ name = "eth1", weight = -51 }]'), node(100)),
    ).toEqual([]);
  });

  test("warnings: nopreempt on one side; virtual servers, pools, schedulers and servers that differ", () => {
    const b = node(
      100,
      "",
      "nopreempt = true",
      POOL.replace('scheduler = "wlc"', 'scheduler = "rr"').replace("10.0.0.2", "10.0.0.3"),
    );
    const out = check(node(150), b);
    expect(out).toContain(
      `b.toml:${line(b, "nopreempt")}:1: warning: vrrp.VI_1.preempt: nopreempt on this node only (a.toml:${line(node(150), "[vrrp.VI_1]", "")}:1 preempts): which node is master after a restart depends on start order`.replace(
        "vrrp.VI_1.preempt",
        "vrrp.VI_1.nopreempt",
      ),
    );
    expect(out).toContain(
      "a.toml:8:1: warning: pool.app.scheduler: the pool's scheduler differs from b.toml:8:1: either node may serve",
    );
    expect(out).toContain(
      "a.toml:9:1: warning: pool.app.server: the pool's servers differ from b.toml:9:1: either node may serve",
    );
    const c = node(
      100,
      '[pool.extra]\n[[pool.extra.server]]\naddress = "10.0.0.9:80"',
      "",
      POOL.replace('["192.0.2.10:80"]', '["192.0.2.10:8080"]'),
    );
    const out2 = check(node(150), c);
    expect(out2).toContain(
      'a.toml:2:1: warning: virtual_server[0]: virtual_server "web" differs from b.toml:2:1 (listen, mode, pool or rules): either node may serve',
    );
    expect(out2.some((l) => l.startsWith("b.toml:") && l.includes('pool "extra" is only on this node'))).toBe(
      true,
    );
  });
});

describe("tcpvs init's pair passes config check --peer", () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpvs-init-peer-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const MAIN = join(import.meta.dir, "../../cmd/main.ts");
  const run = (args: string[]) => {
    const p = Bun.spawnSync([process.execPath, MAIN, ...args], {
      cwd: dir,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
  };

  test("a peer file with its own problems is refused (exit 2) naming that file; --json carries the warnings", () => {
    const w = run([
      "init",
      "--role",
      "master",
      "--vip",
      "192.0.2.10/24",
      "--interface",
      "ens3",
      "--vrid",
      "7",
      "--backend",
      "192.0.2.1:80",
      "--check",
      "tcp",
      "--out",
      "a.toml",
      "--peer-out",
      "b.toml",
    ]);
    expect(w.code).toBe(0);
    writeFileSync(join(dir, "broken.toml"), '[vrrp.VI_1]\ninterface = "ens3"\npriorty = 100\n');
    const r = run(["config", "check", "-c", "a.toml", "--peer", "broken.toml"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      'broken.toml:3:1: vrrp.VI_1.priorty: unknown key "priorty"; did you mean "priority"?',
    );
    const text = readFileSync(join(dir, "b.toml"), "utf8");
    writeFileSync(join(dir, "c.toml"), text.replace("preempt = true", "preempt = false"));
    const j = run(["config", "check", "-c", "a.toml", "--peer", "c.toml", "--json"]);
    expect(j.code).toBe(0);
    const out = JSON.parse(j.out);
    expect(out.peer.file).toBe("c.toml");
    expect(out.peer.warnings.map((x: { severity: string; path: string }) => [x.severity, x.path])).toEqual([
      ["warning", "vrrp.VI_1.preempt"],
    ]);
    expect(j.err).toContain("c.toml:");
  });

  for (const role of ["master", "backup"]) {
    test(`init --role ${role}: both files, checked together either way round`, () => {
      const flags = [
        "--vip",
        "192.0.2.10/24",
        "--interface",
        "ens3",
        "--vrid",
        "42",
        "--backend",
        "192.0.2.1:8080,192.0.2.2:8080",
      ];
      const w = run([
        "init",
        "--role",
        role,
        ...flags,
        "--check",
        "http:/health",
        "--out",
        `${role}.toml`,
        "--peer-out",
        `${role}-peer.toml`,
      ]);
      expect(w.err).toBe("");
      expect(w.code).toBe(0);
      for (const [a, b] of [
        [`${role}.toml`, `${role}-peer.toml`],
        [`${role}-peer.toml`, `${role}.toml`],
      ]) {
        const r = run(["config", "check", "-c", a!, "--peer", b!]);
        expect(r.err).toBe("");
        expect(r.code).toBe(0);
        expect(r.out).toContain("the pair agrees (0 warnings)");
      }
    });
  }
});
