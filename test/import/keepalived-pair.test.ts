// A two-node LVS-NAT pair as an operator runs it today (test/import/fixtures/lb1.conf, lb2.conf:
// MASTER/BACKUP, a client VIP and the servers' gateway VIP in a sync group, a virtual server with two
// real servers and HTTP_GET), imported with the command, checked alone and then together (--peer).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import toml from "toml";
import { realScriptHost } from "../../core/import/script-host.ts";

const MAIN = join(import.meta.dir, "../../cmd/main.ts");
const FIXTURES = join(import.meta.dir, "fixtures");
const dir = mkdtempSync(join(tmpdir(), "tcpvs-pair-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const p = Bun.spawnSync([process.execPath, MAIN, ...args], {
    cwd: FIXTURES,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

function importNode(name: string): { file: string; err: string } {
  const file = join(dir, `${name}.toml`);
  const r = run(["import", "keepalived", `${name}.conf`, "--http", "80", "--out", file]);
  expect(r.code).toBe(0);
  return { file, err: r.err };
}

// The pair's script_user and scripts, as on the nodes; a machine running the test has neither, and
// then the import writes both settings commented out. Said here, so the test fails where it has them.
const USER_HERE = realScriptHost.userProblem("keepalived_script") === undefined;
const SCRIPTS_HERE = ["/usr/local/bin/check-ipvs", "/etc/keepalived/notify.sh"].some(
  (s) => realScriptHost.scriptProblem(s) === undefined,
);

describe("a keepalived LVS-NAT pair", () => {
  test("this machine is not a node: it has neither the script user nor the scripts", () => {
    expect({ USER_HERE, SCRIPTS_HERE }).toEqual({ USER_HERE: false, SCRIPTS_HERE: false });
  });

  test("each node imports, reporting only the script settings this machine cannot pass, and passes config check", () => {
    for (const name of ["lb1", "lb2"]) {
      const { file, err } = importNode(name);
      const lines = err.trimEnd().split("\n").slice(0, -1);
      expect(lines).toEqual([
        `${name}.conf:6: enable_script_security: not carried over: config check would refuse 3 scripts on this machine (the first, vrrp.VI_WEB.notify_master: "/etc/keepalived/notify.sh" does not exist); written commented out in [global]: uncomment it on the node once every script is there, root-owned and writable by root only`,
        `${name}.conf:7: script_user: not carried over: config check refuses it on this machine (no user "keepalived_script"); written commented out in [global]: uncomment it on the node where the user exists (until then scripts run as tcpvs's own user)`,
      ]);
      expect(readFileSync(file, "utf8")).toContain(
        [
          "[global]",
          `router_id = "${name}"`,
          `# script_user = "keepalived_script"  # from ${name}.conf:7, see the import's stderr`,
          `# enable_script_security = true  # from ${name}.conf:6, see the import's stderr`,
        ].join("\n"),
      );
      const check = run(["config", "check", "-c", file]);
      expect(check.err).toBe("");
      expect(check.code).toBe(0);
    }
  });

  test("the imported master keeps keepalived's meaning", () => {
    const cfg = toml.parse(readFileSync(join(dir, "lb1.toml"), "utf8"));
    expect(cfg.global.router_id).toBe("lb1");
    expect(cfg.vrrp.VI_WEB).toEqual({
      interface: "eth0",
      virtual_router_id: 51,
      priority: 150,
      state: "MASTER",
      advert_int: "1s",
      version: 2, // keepalived's default; tcpvs's is 3
      virtual_ipaddress: ["192.168.10.100/24 dev eth0 label eth0:web"],
      unicast_src_ip: "192.168.10.11",
      unicast_peer: ["192.168.10.12"],
      auth_pass: "s3cr3tpw",
      garp_master_delay: "2s",
      track_interface: [{ name: "eth1", weight: -60 }],
      track_script: [
        {
          name: "chk_ipvs",
          script: "/usr/local/bin/check-ipvs",
          interval: "2s",
          timeout: "2s",
          rise: 2,
          fall: 2,
          weight: -60,
        },
      ],
      sync_group: "VG_1",
      notify_master: "/etc/keepalived/notify.sh master",
      notify_backup: "/etc/keepalived/notify.sh backup",
    });
    expect(cfg.vrrp.VI_GW.sync_group).toBe("VG_1");
    expect(cfg.vrrp.VI_GW.state).toBe("MASTER");
    const lb2 = toml.parse(readFileSync(join(dir, "lb2.toml"), "utf8"));
    expect([lb2.vrrp.VI_WEB.state, lb2.vrrp.VI_GW.state]).toEqual(["BACKUP", "BACKUP"]);
    expect(cfg.virtual_server).toEqual([
      {
        name: "vs_192_168_10_100_80",
        listen: ["192.168.10.100:80"],
        mode: "http",
        pool: "vs_192_168_10_100_80",
      },
    ]);
    const pool = cfg.pool.vs_192_168_10_100_80;
    expect(pool.scheduler).toBe("wlc");
    expect(pool.persistence_timeout).toBe("300s");
    expect(pool.sorry_server).toBe("192.168.20.50:8080");
    expect(pool.server).toEqual([
      { address: "192.168.20.21:8080", weight: 100 },
      { address: "192.168.20.22:8080", weight: 100 },
    ]);
    expect(pool.check).toEqual([
      {
        type: "http",
        interval: "5s",
        timeout: "3s",
        retry: 2,
        delay_before_retry: "2s",
        path: "/health",
        status: 200,
      },
    ]);
  });

  test("config check --peer: the pair agrees", () => {
    const r = run(["config", "check", "-c", join(dir, "lb1.toml"), "--peer", join(dir, "lb2.toml")]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("the pair agrees (0 warnings)");
  });

  test("config check --peer: a backup given the master's priority and another router id is refused", () => {
    const text = readFileSync(join(FIXTURES, "lb2.conf"), "utf8")
      .replace("priority 100", "priority 150")
      .replace("virtual_router_id 52", "virtual_router_id 53");
    writeFileSync(join(dir, "lb2-bad.conf"), text);
    const bad = join(dir, "lb2-bad.toml");
    expect(run(["import", "keepalived", join(dir, "lb2-bad.conf"), "--http", "80", "--out", bad]).code).toBe(
      0,
    );
    const lb1 = join(dir, "lb1.toml");
    const r = run(["config", "check", "-c", lb1, "--peer", bad]);
    expect(r.code).toBe(2);
    const lines = r.err.trimEnd().split("\n");
    expect(lines[0]).toBe(`tcpvs: Cannot use ${lb1} with its peer ${bad}: 2 errors`);
    const at = (f: string, key: string) => {
      const n = readFileSync(f, "utf8").split("\n");
      const vi = n.indexOf(key.split("|")[0]!);
      return vi + 1 + n.slice(vi).findIndex((l) => l.startsWith(key.split("|")[1]!));
    };
    expect(lines).toContain(
      `${lb1}:${at(lb1, "[vrrp.VI_WEB]|priority")}:1: error: vrrp.VI_WEB.priority: priority 150 here and in ${bad}:${at(bad, "[vrrp.VI_WEB]|priority")}:1: equal priorities leave mastership to the higher address; give the intended master the higher one`,
    );
    expect(lines).toContain(
      `${lb1}:${at(lb1, "[vrrp.VI_GW]|virtual_router_id")}:1: error: vrrp.VI_GW.virtual_router_id: 52 here but 53 in ${bad}:${at(bad, "[vrrp.VI_GW]|virtual_router_id")}:1: both nodes of an instance must agree, or they are two routers`,
    );
  });

  test("one keepalived.conf for both nodes (@ID lines), imported once per config id, checked as a pair", () => {
    const conf = join(dir, "shared.conf");
    writeFileSync(
      conf,
      [
        "vrrp_instance VI_1 {",
        "  interface eth0",
        "  virtual_router_id 60",
        "@lb1  priority 200",
        "@lb2  priority 100",
        "@lb1  unicast_src_ip 192.0.2.1",
        "@lb2  unicast_src_ip 192.0.2.2",
        "  unicast_peer {",
        "@^lb1  192.0.2.1",
        "@^lb2  192.0.2.2",
        "  }",
        "  virtual_ipaddress {",
        "    192.0.2.100/24",
        "  }",
        "}",
      ].join("\n"),
    );
    for (const id of ["lb1", "lb2"]) {
      const r = run([
        "import",
        "keepalived",
        conf,
        "--config-id",
        id,
        "--out",
        join(dir, `shared-${id}.toml`),
      ]);
      expect(r.code).toBe(0);
      expect(r.err).toContain(`3 lines for other config ids skipped (config id "${id}")`);
    }
    const lb1 = toml.parse(readFileSync(join(dir, "shared-lb1.toml"), "utf8")).vrrp.VI_1;
    expect([lb1.priority, lb1.unicast_src_ip, lb1.unicast_peer]).toEqual([200, "192.0.2.1", ["192.0.2.2"]]);
    const r = run([
      "config",
      "check",
      "-c",
      join(dir, "shared-lb1.toml"),
      "--peer",
      join(dir, "shared-lb2.toml"),
    ]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });
});
