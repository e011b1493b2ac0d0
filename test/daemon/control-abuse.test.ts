// One end-to-end check that abuse of the control channel (TCP address with a token) leaves traffic and
// the channel itself alone: a bad token, a browser Origin, an oversized frame, all during steady load.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import {
  type Backend,
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  type Proc,
  runTcpvs,
  startServe,
  steadyLoad,
  tempDir,
  writeConfig,
} from "./harness.ts";

let p: Proc | undefined;
let backends: Backend[] = [];
let tmp: ReturnType<typeof tempDir>;
let port = 0;
let cport = 0;
const TOKEN = "s3cret-token-for-tests-0123456789";

beforeAll(async () => {
  tmp = tempDir();
  backends = [backend("b1"), backend("b2")];
  port = freePort();
  cport = freePort();
  const tokenFile = `${tmp.dir}/token`;
  writeFileSync(tokenFile, `${TOKEN}\n`);
  chmodSync(tokenFile, 0o600);
  writeFileSync(`${tmp.dir}/wrong`, "not-the-token\n");
  chmodSync(`${tmp.dir}/wrong`, 0o600);
  const file = writeConfig(
    tmp.dir,
    configText({ port, control: `127.0.0.1:${cport}`, tokenFile, backends, checkInterval: "5s" }),
  );
  p = await startServe(file);
});

afterAll(async () => {
  if (p) {
    p.proc.kill("SIGTERM");
    await exitWithin(p, 8000);
  }
  killIfRunning(p);
  for (const b of backends) b.stop();
  tmp.cleanup();
});

function wsClosed(
  headers: Record<string, string>,
  send?: string,
): Promise<{ opened: boolean; code: number }> {
  return new Promise((resolve) => {
    let opened = false;
    // Bun's WebSocket takes extra upgrade headers (Origin, Authorization) as an option.
    const ws = new WebSocket(`ws://127.0.0.1:${cport}/control`, { headers } as unknown as string[]);
    const timer = setTimeout(() => {
      ws.close();
      resolve({ opened, code: -1 });
    }, 5000);
    ws.onopen = () => {
      opened = true;
      if (send) ws.send(send);
    };
    ws.onclose = (ev) => {
      clearTimeout(timer);
      resolve({ opened, code: ev.code });
    };
    ws.onerror = () => {};
  });
}

test("bad token, browser Origin and an oversized frame are refused; traffic and the channel carry on", async () => {
  const load = steadyLoad(`http://127.0.0.1:${port}/`);
  const control = `127.0.0.1:${cport}`;

  const bad = await runTcpvs(["status", "--control", control, "--token-file", `${tmp.dir}/wrong`]);
  expect(bad.code).toBe(3);
  expect(bad.err).toContain("token");
  const none = await runTcpvs(["status", "--control", control]);
  expect(none.code).toBe(3);

  const browser = await wsClosed({ Origin: "http://evil.example", Authorization: `Bearer ${TOKEN}` });
  expect(browser.opened).toBe(false);

  const huge = JSON.stringify({ v: 1, id: 1, method: "status", params: { pad: "x".repeat(200_000) } });
  const big = await wsClosed({ Authorization: `Bearer ${TOKEN}` }, huge);
  expect(big.opened).toBe(true);
  expect(big.code).toBe(1009);

  const good = await runTcpvs(["status", "--json", "--control", control, "--token-file", `${tmp.dir}/token`]);
  expect(good.code).toBe(0);
  expect(JSON.parse(good.out).pools[0].name).toBe("app");

  await Bun.sleep(100);
  await load.stop();
  expect(load.errors).toEqual([]);
  expect(load.ok).toBeGreaterThan(3);
  const log = p!.lines.join("\n");
  expect(log).toContain("bad token refused");
  expect(log).toContain("Origin header refused");
  expect(p!.proc.exitCode).toBeNull();
}, 30_000);
