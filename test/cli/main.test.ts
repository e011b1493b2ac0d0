// The CLI as an operator's script sees it: exit codes, messages on stderr, data on stdout.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "../../cmd/main.ts");

export function tcpvs(...args: string[]): { code: number; out: string; err: string } {
  const p = Bun.spawnSync([process.execPath, MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("tcpvs CLI", () => {
  test("--help lists every subcommand and the exit codes", () => {
    const r = tcpvs("--help");
    expect(r.code).toBe(0);
    for (const c of ["serve", "check", "vrrp", "status", "config", "version", "help"])
      expect(r.out).toContain(`  ${c} `);
    expect(r.out).toContain("Exit codes: 0 ok, 1 failure, 2 usage or config error");
  });

  test("every subcommand has --help with an example", () => {
    for (const c of ["serve", "check", "vrrp", "status", "config", "version", "init"]) {
      const r = tcpvs(c, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toContain(`tcpvs ${c}`);
      expect(r.out).toContain("Example:");
    }
  });

  test("an unknown subcommand names the nearest one and exits 2", () => {
    const r = tcpvs("stauts");
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "stauts"; did you mean "status"?');
  });

  test("an unknown flag names the nearest one and exits 2", () => {
    const r = tcpvs("config", "check", "--confg", "x.toml");
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown flag "--confg" for "tcpvs config"; did you mean "--config"?');
  });

  test("config check: a valid file exits 0, JSON is machine-readable", () => {
    expect(tcpvs("config", "check", "-c", "examples/tcpvs.toml").code).toBe(0);
    const r = tcpvs("config", "check", "-c", "examples/tcpvs.toml", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.ok).toBe(true);
    expect(doc.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.config.pool.app.check[0].timeout).toBe(1000);
  });

  test("config check: three mistakes on three lines, all reported, exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "tcpvs-cli-"));
    const file = join(dir, "bad.toml");
    writeFileSync(
      file,
      `[[virtual_server]]\nname = "web"\nlisten = ["127.0.0.1:8080"]\npool = "app"\n  [[virtual_server.rule]]\n  path = "/x"\n  pool = "missing"\n[pool.app]\nschedular = "rr"\n  [[pool.app.server]]\n  address = "127.0.0.1:9000"\n  [pool.app.check]\n  type = "tcp"\n  interval = "2 s"\n`,
    );
    const r = tcpvs("config", "check", "-c", file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:7:3: virtual_server[0].rule[0].pool: pool "missing" is not defined`);
    expect(r.err).toContain(
      `${file}:9:1: pool.app.schedular: unknown key "schedular"; did you mean "scheduler"?`,
    );
    expect(r.err).toContain(`${file}:14:3: pool.app.check.interval: invalid duration "2 s"`);
  });

  test("a missing config file is a config error (exit 2) that says why", () => {
    const r = tcpvs("config", "check", "-c", "/nonexistent.toml");
    expect(r.code).toBe(2);
    expect(r.err).toContain('Cannot read config "/nonexistent.toml": no such file');
  });

  test("version prints text and JSON", () => {
    expect(tcpvs("version").out).toMatch(/^tcpvs \d+\.\d+\.\d+ \(bun /);
    expect(JSON.parse(tcpvs("version", "--json").out).version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(tcpvs("--version").code).toBe(0);
  });

  test("a bad --log-level is a usage error", () => {
    const r = tcpvs("version", "--log-level", "loud");
    expect(r.code).toBe(2);
    expect(r.err).toContain('invalid --log-level "loud"');
  });
});
