// The compiled binary as operators run it: built once here into a temp dir, run with an empty PATH
// (no bun, no node), exit codes checked the way a shell script or Nagios reads them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "tcpvs-bin-"));
const BIN = join(dir, "tcpvs");

function run(...args: string[]): { code: number; out: string; err: string } {
  const p = Bun.spawnSync([BIN, ...args], {
    cwd: dir,
    env: { PATH: "/var/empty" },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}

let listener: Bun.TCPSocketListener<undefined> | undefined;

beforeAll(() => {
  const b = Bun.spawnSync(
    [
      process.execPath,
      "build",
      "--compile",
      "--target=bun-linux-x64",
      join(ROOT, "cmd/main.ts"),
      "--outfile",
      BIN,
    ],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  if (b.exitCode !== 0) throw new Error(`Cannot build the binary: ${b.stderr.toString()}`);
  listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
}, 120_000);

afterAll(() => {
  listener?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("dist binary", () => {
  test("runs with no bun or node on PATH and lists the subcommands", () => {
    const r = run("--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("serve");
    expect(run("--version").out).toMatch(/^tcpvs \d+\.\d+\.\d+/);
  });

  test("config check exit codes: 0 valid, 2 invalid", () => {
    expect(run("config", "check", "-c", join(ROOT, "examples/tcpvs.toml")).code).toBe(0);
    const bad = run("config", "check", "-c", join(ROOT, "test/cli/fixtures/three-mistakes.toml"));
    expect(bad.code).toBe(2);
    expect(bad.err.match(/three-mistakes\.toml:\d+:\d+: /g)?.length).toBe(3);
  });

  test("check exit codes follow Nagios: 0 OK, 2 CRITICAL, 3 UNKNOWN", () => {
    const ok = run("check", "tcp", `127.0.0.1:${listener!.port}`);
    expect([ok.code, ok.out.startsWith("TCPVS CHECK OK")]).toEqual([0, true]);
    const refused = run("check", "tcp", "127.0.0.1:1");
    expect([refused.code, refused.out]).toEqual([2, expect.stringContaining("refused")]);
    expect(run("check", "tcp", "127.0.0.1:1", "--quiet").out).toBe("");
    expect(run("check", "tcp", "127.0.0.1:1", "--no-such-flag").code).toBe(3);
  });

  test("an internal error prints a message, not minified source", () => {
    const r = run("status", "--control", "unix:/nonexistent/control.sock");
    expect(r.code).toBe(3);
    expect(r.err).toContain('Cannot connect to "unix:/nonexistent/control.sock"');
    expect(r.err).not.toMatch(/\bat \S+ \(|function\s*\(/);
  });
});
