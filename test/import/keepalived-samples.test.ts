// keepalived's own sample configurations (Debian's keepalived package; .ci/run installs it), imported
// one by one: each must give a file `tcpvs config check` accepts, and every statement must be carried
// over or reported.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import toml from "toml";
import { parseConfig } from "../../core/config/load.ts";
import { fileIo } from "../../core/import/file-io.ts";
import { type Dropped, formatDropped } from "../../core/import/import-ledger.ts";
import { type KNode, parseKeepalived } from "../../core/import/keepalived-parser.ts";
import { importKeepalived } from "../../core/import/to-tcpvs.ts";

const SAMPLES = "/usr/share/doc/keepalived/samples";
const MAIN = join(import.meta.dir, "../../cmd/main.ts");
const present = existsSync(SAMPLES);
if (!present) console.log(`skip: ${SAMPLES} is absent (apt-get install keepalived)`);
const samples = present
  ? readdirSync(SAMPLES)
      .filter((f) => f.startsWith("keepalived.conf."))
      .sort()
  : [];

function importSample(name: string) {
  // "high" is one of the config ids keepalived.conf.conditional_conf is written for.
  const parsed = parseKeepalived(join(SAMPLES, name), fileIo, "high");
  const result = importKeepalived(parsed, { httpPorts: [80] });
  return { parsed, result, cfg: toml.parse(result.toml) };
}

/** Every statement is converted, or reported at its own line or an enclosing block's. */
function assertAccounted(
  nodes: KNode[],
  wasUsed: (n: KNode) => boolean,
  dropped: Dropped[],
  outer: KNode[] = [],
) {
  for (const n of nodes) {
    if (!wasUsed(n)) {
      const lines = [n, ...outer].map((x) => `${x.file}:${x.line}`);
      const reported = dropped.some((d) => lines.includes(`${d.file}:${d.line}`));
      expect(reported ? "" : `${n.file}:${n.line}: ${n.keyword} is neither carried over nor reported`).toBe(
        "",
      );
    }
    if (n.children) assertAccounted(n.children, wasUsed, dropped, [n, ...outer]);
  }
}

describe.skipIf(!present)("keepalived's samples", () => {
  test("the folder holds the samples this test was written against", () => {
    expect(samples.length).toBeGreaterThanOrEqual(20);
  });

  for (const name of samples) {
    test(`${name}: config check accepts the import; every statement carried over or reported`, () => {
      const { parsed, result } = importSample(name);
      // The same validator as `tcpvs config check`; it throws with every problem on a bad file.
      parseConfig(result.toml, `${name}.toml`);
      assertAccounted(parsed.nodes, (n) => result.ledger.wasUsed(n), result.dropped);
      // Nothing fell through to "not known to the importer": each keyword got a decision.
      expect(result.dropped.filter((d) => !d.known).map(formatDropped)).toEqual([]);
    });
  }

  const keywords = (name: string) => importSample(name).result.dropped.map((d) => d.keyword);

  test("what each kind of sample carries over", () => {
    const s = importSample("keepalived.conf.sample").cfg;
    expect(s.vrrp.VI_1).toMatchObject({
      interface: "eth0",
      virtual_router_id: 50,
      preempt: false,
      version: 2,
    });
    const v = importSample("keepalived.conf.vrrp").cfg.vrrp;
    expect([v.VI_1.state, v.VI_2.state, v.VI_3.state]).toEqual(["MASTER", undefined, "MASTER"]); // VI_2 has none: BACKUP, both ways
    expect(s.vrrp.VI_1.virtual_ipaddress).toEqual(["192.168.200.11", "192.168.200.12", "192.168.200.13"]);
    const pool = s.pool.vs_10_10_10_2_1358;
    expect(pool).toMatchObject({
      scheduler: "rr",
      persistence_timeout: "50s",
      sorry_server: "192.168.200.200:1358",
    });
    expect(pool.check).toEqual([
      {
        type: "http",
        interval: "6s",
        timeout: "3s",
        retry: 3,
        delay_before_retry: "3s",
        path: "/testurl3/test.jsp",
        digest: "640205b7b0fc66c1ea91c463fac6334d",
      },
    ]);
    expect(s.virtual_server[0]).toMatchObject({ listen: ["10.10.10.2:1358"], mode: "tcp" });

    const q = importSample("keepalived.conf.quorum").cfg.pool.vs_10_0_1_1_80;
    expect(q).toMatchObject({
      scheduler: "wrr",
      quorum: 7,
      hysteresis: 2,
      persistence_timeout: "900s",
      omega: true,
      quorum_up: "/usr/local/sbin/quorum-up.sh",
      quorum_down: "/usr/local/sbin/quorum-down.sh",
    });
    expect(q.server).toHaveLength(10);
    expect(q.check[0]).toMatchObject({ type: "tcp", port: 80, alpha: true, retry: 1, timeout: "3s" });

    const sc = importSample("keepalived.conf.status_code").cfg.pool.vs_192_168_200_100_443.check;
    expect(sc.map((c: { status: unknown }) => c.status)).toEqual([["200-299", "400-499", 503, 505], 200]);
    expect(sc[0]).toMatchObject({ type: "https", tls_verify: false });

    const vh = importSample("keepalived.conf.virtualhost").cfg;
    expect(vh.virtual_server[0].mode).toBe("http"); // --http 80
    expect(vh.pool.vs_192_168_200_100_80.check[0].host).toBe("www.firewall.loc");

    const g = importSample("keepalived.conf.virtual_server_group").cfg.virtual_server[0];
    expect(g.listen).toHaveLength(11); // 3 addresses and the range .3-10; the two fwmarks are reported
    expect(keywords("keepalived.conf.virtual_server_group").filter((k) => k === "fwmark")).toHaveLength(2);

    const lc = importSample("keepalived.conf.vrrp.localcheck").cfg.vrrp.VI_1;
    expect(lc.track_interface).toEqual([{ name: "eth1", weight: 2 }, { name: "eth2", weight: -2 }, "eth3"]);
    expect(lc.track_script[1]).toEqual({
      name: "chk_haproxy",
      script: "killall -0 haproxy",
      interval: "2s",
      timeout: "2s",
      rise: 1,
      fall: 1,
      weight: 2,
    });

    const sync = importSample("keepalived.conf.vrrp.sync").cfg.vrrp;
    expect([sync.VI_1.sync_group, sync.VI_3.sync_group, sync.VI_4.sync_group]).toEqual(["G1", "G2", "G2"]);

    const misc = importSample("keepalived.conf.misc_check_arg").cfg.pool.vs_10_10_10_2_1358.check[0];
    expect(misc).toMatchObject({ type: "script", script: "/usr/local/bin/script.sh arg1 arg2", retry: 0 });

    const cond = importSample("keepalived.conf.conditional_conf").cfg.vrrp.VI_0;
    expect(cond).toMatchObject({ priority: 170, version: 3, advert_int: "12s" });
    expect(cond.track_script[0].script).toBe("/etc/keepalived/scripts/check_high_VI_0.sh");
  });

  test("what each kind of sample reports", () => {
    expect(keywords("keepalived.conf.fwmark")).toEqual(["virtual_server fwmark"]);
    expect(keywords("keepalived.conf.UDP_CHECK")).toContain("protocol UDP");
    expect(keywords("keepalived.conf.PING_CHECK")).toContain("protocol UDP");
    expect(keywords("keepalived.conf.vrrp")).toEqual(
      expect.arrayContaining(["smtp_alert", "notification_email"]),
    );
    expect(keywords("keepalived.conf.vrrp")).not.toContain("state");
    // 192.168.200.18 is listed twice in VI_1 (the second time with a label): added once.
    const dup = importSample("keepalived.conf.vrrp").result.dropped.find(
      (d) => d.keyword === "virtual_ipaddress",
    );
    expect(dup?.reason).toBe("192.168.200.18 is already listed at line 28");
    expect(keywords("keepalived.conf.vrrp.lvs_syncd")).toContain("lvs_sync_daemon_interface");
    expect(keywords("keepalived.conf.vrrp.routes")).toEqual(
      expect.arrayContaining(["static_routes", "virtual_routes"]),
    );
    expect(keywords("keepalived.conf.vrrp.rules")).toEqual(
      expect.arrayContaining(["static_rules", "virtual_rules"]),
    );
    expect(keywords("keepalived.conf.conditional_conf")).toEqual(
      expect.arrayContaining(["use_vmac", "net_namespace"]),
    );
    expect(keywords("keepalived.conf.SSL_GET")).toContain("auth_type AH");
    expect(keywords("keepalived.conf.quorum")).toEqual([]); // omega, quorum_up and quorum_down carried over
    expect(keywords("keepalived.conf.HTTP_GET.port")).toContain("lb_kind NAT"); // TCP mode: client address lost
    expect(keywords("keepalived.conf.virtualhost")).not.toContain("lb_kind NAT"); // HTTP mode: X-Forwarded-For
    // Each server's SMTP_CHECK differs (its own host blocks with connect_ip, connect_port and bindto);
    // tcpvs checks a pool alike, so the first of three different kinds is kept and the others reported.
    const smtp = importSample("keepalived.conf.SMTP_CHECK").result.dropped.filter(
      (d) => d.keyword === "SMTP_CHECK",
    );
    expect(smtp.map((d) => d.line)).toEqual([58, 89]);
    expect(smtp[0]?.reason).toBe(
      "tcpvs checks every server of a pool alike, with the checks of real_server 172.16.1.10 25 (line 37)",
    );
    expect(keywords("keepalived.conf.SMTP_CHECK")).not.toContain("SMTP_CHECK host");
  });
});

describe.skipIf(!present)("tcpvs import keepalived (the command)", () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpvs-import-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) => {
    const p = Bun.spawnSync([process.execPath, MAIN, ...args], {
      cwd: SAMPLES,
      stdout: "pipe",
      stderr: "pipe",
    });
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
  };

  test("writes the file, one stderr line per statement not carried over, and a count; config check accepts it", () => {
    const out = join(dir, "vrrp.toml");
    const r = run(["import", "keepalived", "keepalived.conf.vrrp", "--out", out]);
    expect(r.code).toBe(0);
    const lines = r.err.trimEnd().split("\n");
    const summary = lines.pop()!;
    for (const l of lines) expect(l).toMatch(/^keepalived\.conf\.vrrp:\d+: [^:]+: not carried over: .+$/);
    expect(lines).toContain(
      "keepalived.conf.vrrp:17: smtp_alert: not carried over: tcpvs sends no e-mail; a notify script can",
    );
    expect(summary).toBe(
      `tcpvs: imported keepalived.conf.vrrp into ${out}: 0 virtual servers, 4 VRRP instances; ${lines.length} not carried over`,
    );
    const check = run(["config", "check", "-c", out]);
    expect(check.err).toBe("");
    expect(check.code).toBe(0);
    // An existing file is kept unless --force says otherwise.
    const again = run(["import", "keepalived", "keepalived.conf.sample", "--out", out]);
    expect(again.code).toBe(1);
    expect(again.err).toBe(`tcpvs: Remove "${out}" or pass --force: it exists (file_exists)\n`);
    expect(run(["import", "keepalived", "keepalived.conf.sample", "--out", out, "--force"]).code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("[pool.vs_10_10_10_2_1358]");
  });
});

describe("tcpvs import keepalived: files it cannot use", () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpvs-import-bad-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) => {
    const p = Bun.spawnSync([process.execPath, MAIN, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
  };
  test("a file it cannot parse exits 2 with FILE:LINE:COLUMN", () => {
    const bad = join(dir, "bad.conf");
    writeFileSync(bad, 'vrrp_instance VI_1 {\n  interface eth0\n  notify_master "/bin/x\n}\n');
    const r = run(["import", "keepalived", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `tcpvs: Cannot parse ${bad}:3:17: unterminated quoted string: add the closing " on the same line\n`,
    );
    expect(r.out).toBe("");
  });
  test("a file that cannot be read exits 2 saying why; a wrong source is a usage error", () => {
    const r = run(["import", "keepalived", join(dir, "absent.conf")]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`tcpvs: Cannot read "${join(dir, "absent.conf")}": no such file\n`);
    const u = run(["import", "haproxy", "x.cfg"]);
    expect(u.code).toBe(2);
    expect(u.err).toContain('unknown import source "haproxy"');
  });
});
