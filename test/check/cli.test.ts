import { afterAll, describe, expect, test } from "bun:test";
import { CHECK_USAGE, runCheck } from "../../core/cli/check-report.ts";
import {
  parseCheckArgs,
  parseCliDuration,
  parseHostPort,
  parseStatusList,
} from "../../core/cli/check-flags.ts";
import { checkDefaults } from "../../core/check/types.ts";
import type { PoolConfig, TcpvsConfig } from "../../core/config/types.ts";
import { closedTcpPort, inet, rawHttpServer, tcpServer } from "./net-helpers.ts";

const open: Array<{ stop(force?: boolean): void }> = [];
afterAll(() => {
  for (const l of open) l.stop(true);
});

async function run(argv: string[], config?: TcpvsConfig) {
  let text = "";
  const code = await runCheck(argv, { json: false, config, write: (t) => (text += t) });
  return { code, text };
}

describe("check flags", () => {
  test("durations, status lists, targets", () => {
    expect([parseCliDuration("2s"), parseCliDuration("500ms"), parseCliDuration("1.5s")]).toEqual([
      2000, 500, 1500,
    ]);
    expect(() => parseCliDuration("2 seconds")).toThrow('invalid duration "2 seconds"');
    expect(parseStatusList("200,301-302")).toEqual([
      [200, 200],
      [301, 302],
    ]);
    expect(() => parseStatusList("200-100")).toThrow('"200-100"');
    expect(parseHostPort("[::1]:53")).toMatchObject({ host: "::1", port: 53, family: 6, text: "[::1]:53" });
    expect(parseHostPort("192.0.2.25", 25)).toMatchObject({
      host: "192.0.2.25",
      port: 25,
      text: "192.0.2.25:25",
    });
    expect(() => parseHostPort("192.0.2.25")).toThrow("a port is required");
    expect(() => parseHostPort("mx.test", 25)).toThrow("tcpvs does not resolve host names");
  });

  test("an http URL sets target and path; flags mirror the config keys", () => {
    const a = parseCheckArgs([
      "http",
      "http://127.0.0.1:8080/health?full=1",
      "--status",
      "200",
      "--timeout",
      "2s",
      "--host",
      "app.test",
    ]);
    expect(a.target?.text).toBe("127.0.0.1:8080");
    expect(a.check).toEqual(
      checkDefaults({
        type: "http",
        path: "/health?full=1",
        status: [[200, 200]],
        timeout: 2000,
        host: "app.test",
      }),
    );
    const d = parseCheckArgs(["dns", "127.0.0.1", "--name", "example.org", "--type", "a"]);
    expect([d.target?.text, d.check?.name, d.check?.record_type]).toEqual([
      "127.0.0.1:53",
      "example.org",
      "A",
    ]);
  });

  test("--send/--expect pairs build the dialogue in order, with escapes", () => {
    const a = parseCheckArgs([
      "expect",
      "127.0.0.1:6379",
      "--send",
      "PING\\r\\n",
      "--expect",
      "PONG",
      "--expect",
      "x",
    ]);
    expect(a.check?.steps).toEqual([{ send: "PING\r\n", expect: "PONG" }, { expect: "x" }]);
  });
});

describe("tcpvs check, one check", () => {
  test("OK line and exit 0", async () => {
    const l = tcpServer(() => {});
    open.push(l);
    const r = await run(["tcp", `127.0.0.1:${l.port}`]);
    expect(r.code).toBe(0);
    expect(r.text).toMatch(
      new RegExp(
        `^TCPVS CHECK OK - tcp 127\\.0\\.0\\.1:${l.port}: connected in \\d+(\\.\\d)? ms \\| time=\\d+(\\.\\d)?ms;;;0\\n$`,
      ),
    );
  });

  test("a failing check is CRITICAL with its reason; --quiet prints nothing; --json is one object", async () => {
    const port = closedTcpPort();
    const r = await run(["tcp", `127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.text).toStartWith(`TCPVS CHECK CRITICAL - tcp 127.0.0.1:${port}: refused in`);
    expect(await run(["tcp", `127.0.0.1:${port}`, "--quiet"])).toEqual({ code: 2, text: "" });
    const j = JSON.parse((await run(["tcp", `127.0.0.1:${port}`, "--json"])).text);
    expect(j).toMatchObject({ status: "critical", exit_code: 2, ok: false, reason: "refused" });
  });

  test("http status flag", async () => {
    const h = rawHttpServer("HTTP/1.1 503 No\r\nContent-Length: 0\r\n\r\n");
    open.push(h.server);
    const r = await run(["http", `http://127.0.0.1:${h.port}/health`, "--status", "200"]);
    expect(r.code).toBe(2);
    expect(r.text).toContain("status 503");
    expect(h.heads[0]).toStartWith("GET /health HTTP/1.1");
    expect((await run(["http", `http://127.0.0.1:${h.port}/`, "--status", "500-599"])).code).toBe(0);
  });

  test("bad usage is UNKNOWN, exit 3", async () => {
    expect(await run(["nope", "1.2.3.4:5"])).toMatchObject({
      code: 3,
      text: expect.stringContaining('"nope" is not one'),
    });
    expect((await run(["tcp"])).code).toBe(3);
    expect((await run(["tcp", "127.0.0.1:1", "--bogus"])).text).toContain('unknown flag "--bogus"');
    expect((await run([])).code).toBe(3);
    expect(await run(["--help"])).toEqual({ code: 0, text: CHECK_USAGE });
  });
});

describe("tcpvs check, a whole config", () => {
  function config(pools: Record<string, Array<number>>): TcpvsConfig {
    const pool: Record<string, PoolConfig> = {};
    for (const [name, ports] of Object.entries(pools)) {
      pool[name] = {
        name,
        scheduler: "rr",
        scheduler_options: {},
        persistence_timeout: 0,
        persistence_granularity: "",
        quorum: 1,
        hysteresis: 0,
        inhibit_on_failure: false,
        omega: false,
        server: ports.map((p, i) => ({
          name: `${name}${i + 1}`,
          address: inet(p),
          weight: 1,
          backup: false,
          max_connections: 0,
        })),
        check: [checkDefaults({ type: "tcp" })],
      };
    }
    return { file: "test.toml", pool } as unknown as TcpvsConfig;
  }

  test("some servers down is WARNING; a pool all down is CRITICAL; --pool filters", async () => {
    const l = tcpServer(() => {});
    open.push(l);
    const dead = closedTcpPort();
    const cfg = config({ web: [l.port, l.port], api: [l.port, dead], db: [dead] });
    const all = await run([], cfg);
    expect(all.code).toBe(2);
    expect(all.text.split("\n")[0]).toBe(
      "TCPVS CHECK CRITICAL - pool web: 2/2 up, pool api: 1/2 up, pool db: 0/1 up | " +
        "web_up=2;;;0;2 web_down=0;;;0;2 api_up=1;;;0;2 api_down=1;;;0;2 db_up=0;;;0;1 db_down=1;;;0;1",
    );
    expect(all.text).toContain(`api2    127.0.0.1:${dead}`);
    const api = await run(["-c", "test.toml", "--pool", "api", "--log-level", "warn"], cfg);
    expect(api.code).toBe(1);
    expect(api.text).toStartWith(
      "TCPVS CHECK WARNING - pool api: 1/2 up | api_up=1;;;0;2 api_down=1;;;0;2\n",
    );
    const web = JSON.parse((await run(["--pool", "web", "--json"], cfg)).text);
    expect(web).toMatchObject({
      status: "ok",
      exit_code: 0,
      pools: [{ name: "web", servers_up: 2, servers_down: 0, servers_total: 2, status: "ok" }],
    });
    expect(web.checks).toHaveLength(2);
    expect((await run(["--pool", "nope"], cfg)).code).toBe(3);
  });
});
