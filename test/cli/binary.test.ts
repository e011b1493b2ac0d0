// The compiled binary as operators run it: built once here into a temp dir, run with an empty PATH
// (no bun, no node), exit codes checked the way a shell script or Nagios reads them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "tcpvs-bin-"));
const BIN = join(dir, "tcpvs");
// The entry points of `bun run build`: the Worker modules (VRRP, the data-path workers of the default
// `workers = "auto"`) must be in the binary as in the release.
const ENTRY_POINTS = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { build: string } }
).scripts.build
  .split(/\s+/)
  .filter((a) => a.endsWith(".ts"));

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
      ...ENTRY_POINTS.map((f) => join(ROOT, f)),
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

  test("man and completion come out of the binary (their modules are bundled)", () => {
    const man = run("man");
    expect(man.code).toBe(0);
    expect(man.out).toStartWith(".TH TCPVS 1");
    expect(run("completion", "bash").out).toContain("complete -F _tcpvs tcpvs");
  });

  test("the control gate reads SO_PEERCRED in the binary: an action is logged with uid=0", async () => {
    const free = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = free.port;
    free.stop(true);
    const demo = Bun.spawn([BIN, "serve", "--demo", "--port", String(port)], {
      cwd: dir,
      env: { PATH: "/var/empty", NO_COLOR: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      let text = "";
      const dec = new TextDecoder();
      const reader = (demo.stdout as ReadableStream<Uint8Array>).getReader();
      const deadline = Date.now() + 15_000;
      while (!/--control (\S+)/.test(text) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value);
      }
      reader.releaseLock();
      const control = /--control (\S+)/.exec(text)?.[1];
      expect({ control, text }).toMatchObject({ control: expect.stringMatching(/^unix:/) });
      const st = run("status", "--json", "--control", control!);
      expect(st.code).toBe(0);
      const server = JSON.parse(st.out).pools[0].servers[0].name;
      expect(run("status", "drain", "demo", server, "--control", control!).code).toBe(0);
      demo.kill("SIGTERM");
      const log = await new Response(demo.stderr).text();
      expect(log).toMatch(/control action .*action=drain .*uid=0\(root\) gid=0 pid=\d+/);
    } finally {
      demo.kill(9);
    }
  }, 30_000);
});
