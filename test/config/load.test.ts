import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, parseConfig } from "../../core/config/load.ts";

function problems(text: string): string[] {
  try {
    parseConfig(text, "t.toml");
  } catch (e) {
    if (e instanceof ConfigError)
      return e.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

const BASE = `[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8080"]
pool = "app"

[pool.app]
  [[pool.app.server]]
  address = "127.0.0.1:9000"
`;

describe("parseConfig", () => {
  test("the shipped example is valid", () => {
    const { config } = loadConfig("examples/tcpvs.toml");
    expect(config.virtual_server.map((v) => v.name)).toEqual(["web", "smtp"]);
    expect(config.pool.app!.check[0]!.interval).toBe(2000);
    expect(config.vrrp.VI_1!.advert_int).toBe(1000);
  });

  test("fills defaults", () => {
    const cfg = parseConfig(BASE, "t.toml");
    expect(cfg.virtual_server[0]!.mode).toBe("http");
    expect(cfg.pool.app!.scheduler).toBe("wlc");
    expect(cfg.pool.app!.server[0]!.weight).toBe(1);
    expect(cfg.pool.app!.server[0]!.name).toBe("127.0.0.1:9000");
    expect(cfg.global.control.text).toBe("unix:/run/tcpvs/control.sock");
  });

  test("reports three mistakes on three lines at once, in line order", () => {
    const text = `[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8080"]
pool = "app"
  [[virtual_server.rule]]
  path_prefix = "/s/"
  pool = "statik"
[pool.app]
schedular = "wlc"
  [[pool.app.server]]
  address = "127.0.0.1:9000"
  [pool.app.check]
  type = "tcp"
  interval = "2 seconds"
`;
    expect(problems(text)).toEqual([
      '7:3 virtual_server[0].rule[0].pool: pool "statik" is not defined; defined pools: "app"',
      '9:1 pool.app.schedular: unknown key "schedular"; did you mean "scheduler"?',
      '14:3 pool.app.check.interval: invalid duration "2 seconds": use a number with a unit (ms, s, m, h), e.g. "2s", "500ms", "1m30s"',
    ]);
  });

  test("syntax errors carry the file's line and column and a frame", () => {
    try {
      parseConfig('a = 1\nb = "x\n', "s.toml");
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const err = e as ConfigError;
      expect(err.code).toBe("config_syntax");
      expect(err.problems[0]).toMatchObject({ file: "s.toml", line: 2 });
      expect(err.message).toContain('   2 | b = "x');
    }
  });

  test.each([
    [
      '[vrrp.V]\ninterface = "eth0"\nvirtual_router_id = 256\nvirtual_ipaddress = ["10.0.0.1/24"]\n',
      "vrrp.V.virtual_router_id: 256 is out of range: expected 1-255",
    ],
    [
      '[vrrp.V]\ninterface = "eth0"\nvirtual_router_id = 5\npriority = 0\nvirtual_ipaddress = ["10.0.0.1/24"]\n',
      "vrrp.V.priority: 0 is out of range",
    ],
    [
      '[vrrp.V]\ninterface = "eth0"\nvirtual_router_id = 5\nversion = 2\nadvert_int = "1500ms"\nvirtual_ipaddress = ["10.0.0.1/24"]\n',
      "whole seconds",
    ],
    [
      '[vrrp.V]\ninterface = "eth0"\nvirtual_router_id = 5\nvirtual_ipaddress = ["10.0.0.1/24 dve eth1"]\n',
      "invalid VIP",
    ],
    [
      '[vrrp.V]\ninterface = "eth0"\nvirtual_router_id = 5\nauth_pass = "x"\nvirtual_ipaddress = ["10.0.0.1/24"]\n',
      "only in VRRPv2",
    ],
  ])("vrrp range and syntax: %#", (text, msg) => {
    expect(problems(text).join("\n")).toContain(msg);
  });

  test("wrong types, bad addresses, negative weight, duplicate names", () => {
    const text = `[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8080", "[::1:80"]
pool = "app"
max_connections = "many"
[[virtual_server]]
name = "web"
listen = "127.0.0.1:8080"
pool = "app"
[pool.app]
  [[pool.app.server]]
  address = "127.0.0.1:9000"
  weight = -1
  [[pool.app.server]]
  address = "127.0.0.1:9000"
`;
    const got = problems(text);
    expect(got).toContain(
      '3:29 virtual_server[0].listen[1]: invalid address "[::1:80": missing "]" after the IPv6 address',
    );
    expect(got).toContain(
      '5:1 virtual_server[0].max_connections: expected an integer, got the string "many"',
    );
    expect(got).toContain(
      '7:1 virtual_server[1].name: duplicate virtual_server name "web" (also virtual_server[0])',
    );
    expect(got).toContain(
      '8:1 virtual_server[1].listen[0]: address "127.0.0.1:8080" is already used by virtual_server "web"',
    );
    expect(got).toContain("13:3 pool.app.server[0].weight: -1 is out of range: expected 0-65535");
    expect(got).toContain('14:3 pool.app.server[1]: duplicate server name "127.0.0.1:9000" (also server[0])');
  });

  test("unknown top-level table, unknown scheduler with a hint, missing required keys", () => {
    const got = problems(`[globl]\n[[virtual_server]]\nname = "x"\n[pool.p]\nscheduler = "wlcc"\n`);
    expect(got).toContain('1:1 globl: unknown key "globl"; did you mean "global"?');
    expect(got.some((g) => g.includes('virtual_server[0].listen: missing required key "listen"'))).toBe(true);
    expect(got.some((g) => g.includes('virtual_server[0].pool: missing required key "pool"'))).toBe(true);
    expect(
      got.some(
        (g) => g.includes('pool.p.scheduler: invalid value "wlcc"') && g.includes('did you mean "wlc"'),
      ),
    ).toBe(true);
    expect(got.some((g) => g.includes('pool "p" has no servers'))).toBe(true);
  });

  test("control on a non-loopback address needs an explicit opt-in and a token", () => {
    expect(problems(`${BASE}[global]\ncontrol = "0.0.0.0:9901"\n`).join()).toContain("control_allow_remote");
    expect(
      problems(`${BASE}[global]\ncontrol = "0.0.0.0:9901"\ncontrol_allow_remote = true\n`).join(),
    ).toContain("needs control_token_file");
    expect(problems(`${BASE}[global]\ncontrol = "127.0.0.1:9901"\n`)).toEqual([]);
  });

  test("check timing and keepalived aliases", () => {
    const cfg = parseConfig(
      `${BASE}  [[pool.app.check]]\n  type = "http"\n  delay_loop = "5s"\n  connect_timeout = "2s"\n  status = [200, "300-399"]\n`,
      "t.toml",
    );
    expect(cfg.pool.app!.check[0]).toMatchObject({
      interval: 5000,
      timeout: 2000,
      status: [
        [200, 200],
        [300, 399],
      ],
    });
    expect(
      problems(`${BASE}  [[pool.app.check]]\n  type = "tcp"\n  interval = "1s"\n  timeout = "2s"\n`).join(),
    ).toContain("must be shorter than interval");
    expect(problems(`${BASE}  [[pool.app.check]]\n  type = "http"\n  digest = "abc"\n`).join()).toContain(
      "32 hex digits",
    );
  });

  test("scheduler options and persistence are checked by the scheduler registry, at the option's line", () => {
    const text = BASE.replace(
      "[pool.app]\n",
      '[pool.app]\nscheduler = "mh"\npersistence_granularity = "255.0.255.0"\n',
    );
    const got = problems(`${text}[pool.app.scheduler_options]\ntable_size = 100\n`);
    expect(
      got.some((g) => g.startsWith("12:1 pool.app.scheduler_options.table_size:") && g.includes("251")),
    ).toBe(true);
    expect(got.some((g) => g.startsWith("8:1 pool.app.persistence_granularity:"))).toBe(true);
  });

  test("a missing file names it and why", () => {
    expect(() => loadConfig("/nonexistent/tcpvs.toml")).toThrow(
      'Cannot read config "/nonexistent/tcpvs.toml": no such file',
    );
  });
});
