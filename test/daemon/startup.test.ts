// `tcpvs serve` refusing to start must say why and exit with the documented code: 2 for usage and
// config errors, 1 when it could not start (address taken, control socket served by another daemon).

import { afterEach, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import {
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  type Proc,
  runTcpvs,
  startServe,
  tempDir,
  writeConfig,
} from "./harness.ts";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function scratch() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

test("no config file found: says where it looked, exit 2", async () => {
  const dir = scratch();
  // From an empty directory, with no -c: ./tcpvs.toml is absent; skip if the host has the packaged file.
  if (existsSync("/etc/tcpvs/tcpvs.toml")) {
    console.log("skipping the no--c case: /etc/tcpvs/tcpvs.toml exists on this host");
  } else {
    const r = await runTcpvs(["serve"], 10_000, dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain("./tcpvs.toml");
    expect(r.err).toContain("-c FILE");
  }
  const missing = `${dir}/nope.toml`;
  const r = await runTcpvs(["serve", "-c", missing]);
  expect(r.code).toBe(2);
  expect(r.err).toContain(`"${missing}"`);
}, 20_000);

test("a broken config: its problems with positions, exit 2", async () => {
  const dir = scratch();
  const file = writeConfig(dir, '[global]\ncontrol = "unix:/tmp/x.sock"\n[[virtual_server]]\nname = 3\n');
  const r = await runTcpvs(["serve", "-c", file]);
  expect(r.code).toBe(2);
  expect(r.err).toContain(file);
  expect(r.err).toMatch(/:\d+:\d+:/);
}, 20_000);

test("--port is checked (and only allowed with --demo): exit 2", async () => {
  for (const bad of ["abc", "0", "70000", "80x"]) {
    const r = await runTcpvs(["serve", "--demo", "--port", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`"${bad}"`);
  }
  const r = await runTcpvs(["serve", "--port", "8081", "-c", "/nonexistent.toml"]);
  expect(r.code).toBe(2);
  expect(r.err).toContain("--demo");
}, 30_000);

test("a second daemon on the same config cannot start: exit 1, the first keeps serving", async () => {
  const dir = scratch();
  const b = backend("b1");
  cleanups.push(() => b.stop());
  const port = freePort();
  const control = `unix:${dir}/control.sock`;
  const file = writeConfig(dir, configText({ port, control, backends: [b], checkInterval: "5s" }));
  const first: Proc = await startServe(file);
  cleanups.push(() => killIfRunning(first));
  const second = await runTcpvs(["serve", "-c", file]);
  expect(second.code).toBe(1);
  expect(second.err).toContain(`127.0.0.1:${port}`);
  // It never started, so it does not claim to be stopping.
  expect(second.err).not.toContain("tcpvs stopping");
  const r = await fetch(`http://127.0.0.1:${port}/`);
  expect(await r.text()).toBe("b1\n");
  expect((await runTcpvs(["status", "--control", control])).code).toBe(0);
  first.proc.kill("SIGTERM");
  expect(await exitWithin(first, 8000)).toBe(0);
  expect(existsSync(`${dir}/control.sock`)).toBe(false);
}, 30_000);

test("the control socket served by another daemon: exit 1 naming the socket, listener released", async () => {
  const dir = scratch();
  const b = backend("b1");
  cleanups.push(() => b.stop());
  const control = `unix:${dir}/control.sock`;
  const first = await startServe(
    writeConfig(dir, configText({ port: freePort(), control, backends: [b], checkInterval: "5s" }), "a.toml"),
  );
  cleanups.push(() => killIfRunning(first));
  const port2 = freePort();
  const file2 = writeConfig(
    dir,
    configText({ port: port2, control, backends: [b], checkInterval: "5s" }),
    "b.toml",
  );
  const second = await runTcpvs(["serve", "-c", file2]);
  expect(second.code).toBe(1);
  expect(second.err).toContain(`${dir}/control.sock`);
  // The listener it had opened before failing is closed again.
  const l = Bun.listen({ hostname: "127.0.0.1", port: port2, socket: { data() {} } });
  l.stop(true);
  expect((await runTcpvs(["status", "--control", control])).code).toBe(0);
}, 30_000);

// Bun's bind error says only "Failed to listen at 127.0.0.1"; the operator must be told why.
test("a listen address already in use is named as in use", async () => {
  const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const dir = scratch();
  const b = backend("b1");
  try {
    const file = writeConfig(
      dir,
      configText({ port: taken.port, control: `unix:${dir}/c.sock`, backends: [b], checkInterval: "5s" }),
    );
    const r = await runTcpvs(["serve", "-c", file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/in use|EADDRINUSE/i);
  } finally {
    taken.stop(true);
    b.stop();
  }
});
