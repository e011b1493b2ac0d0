// The VRRP worker inside a `bun build --compile` binary: found when it is an extra entrypoint, and
// (the reason for the packaging note in core/vrrp/host.ts) missing when it is not.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "tcpvs-compile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function buildAndRun(entries: string[], name: string): string {
  const out = join(dir, name);
  // The flags of package.json's release build (--bytecode needs CommonJS: no top-level await).
  const flags = ["--compile", "--bytecode", "--minify", "--sourcemap=none", "--target=bun-linux-x64"];
  const b = Bun.spawnSync([process.execPath, "build", ...flags, ...entries, "--outfile", out], {
    cwd: root,
    stderr: "pipe",
  });
  if (b.exitCode !== 0) throw new Error(`build failed: ${b.stderr.toString()}`);
  const r = Bun.spawnSync([out], { cwd: dir, stdout: "pipe", stderr: "pipe", timeout: 15_000 });
  return r.stdout.toString() + r.stderr.toString();
}

test("compiled binary runs the VRRP worker when it is an extra entrypoint", () => {
  const with_ = buildAndRun(["test/vrrp/compile-probe.ts", "core/vrrp/worker.ts"], "with-worker");
  expect(with_).toContain('worker said: Check the interface name: "nosuchif0" does not exist');
  const without = buildAndRun(["test/vrrp/compile-probe.ts"], "without-worker");
  expect(without).toContain("ModuleNotFound");
}, 60_000);
