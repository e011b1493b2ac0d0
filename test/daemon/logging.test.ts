// [global] log_level / log_format reach the daemon's log (flags still win), and a reload that changes
// settings only a restart can apply says so instead of pretending.

import { afterEach, expect, test } from "bun:test";
import {
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  runTcpvs,
  spawnTcpvs,
  startServe,
  tempDir,
  waitFor,
  waitLine,
  writeConfig,
} from "./harness.ts";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(globalExtra: string) {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const b = backend("b1");
  cleanups.push(() => b.stop());
  const control = `unix:${tmp.dir}/c.sock`;
  const base = { port: freePort(), control, backends: [b], checkInterval: "5s" };
  const text = (extra: string) => configText(base).replace("[global]\n", `[global]\n${extra}`);
  const file = writeConfig(tmp.dir, text(globalExtra));
  return { tmp, file, control, text };
}

test("log_format = json in the file gives JSON lines; --log-format text overrides it", async () => {
  const { file, control } = setup('log_format = "json"\nlog_level = "debug"\n');
  const p = await startServe(file);
  cleanups.push(() => killIfRunning(p));
  const line = p.lines.find((l) => l.includes("tcpvs serving"))!;
  expect(JSON.parse(line)).toMatchObject({ level: "info", msg: "tcpvs serving" });
  // debug from the file: a control client connecting is logged at debug.
  expect((await runTcpvs(["status", "--control", control])).code).toBe(0);
  await waitLine(p, /"level":"debug".*control client/, 5000);
  p.proc.kill("SIGTERM");
  expect(await exitWithin(p, 8000)).toBe(0);

  const q = await startServe(file, ["--log-format", "text"]);
  cleanups.push(() => killIfRunning(q));
  const textLine = q.lines.find((l) => l.includes("tcpvs serving"))!;
  expect(textLine).toMatch(/^\S+Z INFO {2}tcpvs serving /);
  q.proc.kill("SIGTERM");
  expect(await exitWithin(q, 8000)).toBe(0);
}, 30_000);

test("log_level = warn in the file hides info lines", async () => {
  const { file, control } = setup('log_level = "warn"\n');
  const p = spawnTcpvs(["serve", "-c", file]);
  cleanups.push(() => killIfRunning(p));
  // Up once its control channel answers (there is no "serving" line to wait for at warn).
  await waitFor(async () => (await runTcpvs(["status", "--control", control])).code === 0, 10_000, "serve");
  p.proc.kill("SIGTERM");
  expect(await exitWithin(p, 8000)).toBe(0);
  expect(p.lines.filter((l) => / INFO /.test(l))).toEqual([]);
}, 20_000);

test("a reload changing control or log settings says they wait for a restart, and exits 1", async () => {
  const { tmp, file, control, text } = setup("");
  const p = await startServe(file);
  cleanups.push(() => killIfRunning(p));
  writeConfig(tmp.dir, text('log_level = "debug"\n').replace(control, `unix:${tmp.dir}/other.sock`));
  const from = p.lines.length;
  const r = await runTcpvs(["status", "reload", "--control", control]);
  expect(r.code).toBe(1);
  expect(r.out).toContain("wait for a restart: control, log_level");
  const i = await waitLine(p, /wait for a restart/, 5000, from);
  expect(p.lines[i]).toContain("control");
  expect(p.lines[i]).toContain("log_level");
  // The channel really stayed where it was.
  expect((await runTcpvs(["status", "--control", control])).code).toBe(0);
}, 20_000);
