// End-to-end checks that abuse of the control channel (TCP address with a token) leaves traffic and
// the channel itself alone: a bad token, a browser Origin, an oversized frame, all during steady load;
// and that a flood of refusals costs a bounded number of log lines that carry the count.

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
  expect(log).toContain("refused a connection with a bad token");
  expect(log).toContain("refused a browser (Origin header)");
  expect(log).toContain("closed a connection that sent a frame over the limit");
  expect(p!.proc.exitCode).toBeNull();
}, 30_000);

/** The bad-token attempts the log accounts for: 1 per line logged at once, N per summary line. */
function badTokenCount(lines: string[]): { lines: number; count: number } {
  const mine = lines.filter((l) => l.includes("refused a connection with a bad token"));
  let count = 0;
  for (const l of mine) count += Number(/ repeated=(\d+)/.exec(l)?.[1] ?? 1);
  return { lines: mine.length, count };
}

test("2,000 bad-token attempts write a bounded number of lines that carry the count", async () => {
  const before = badTokenCount(p!.lines);
  const headers = {
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-version": "13",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    authorization: "Bearer not-the-token-0123456789",
  };
  let refused = 0;
  for (let batch = 0; batch < 40; batch++) {
    const rs = await Promise.all(
      Array.from({ length: 50 }, () => fetch(`http://127.0.0.1:${cport}/control`, { headers })),
    );
    refused += rs.filter((r) => r.status === 401).length;
  }
  expect(refused).toBe(2000);
  await Bun.sleep(200);
  const during = badTokenCount(p!.lines);
  // At most the line at once and one summary for an interval that ended meanwhile.
  expect(during.lines - before.lines).toBeLessThanOrEqual(2);
  // Stopping the daemon logs the count still pending: every attempt is accounted for.
  p!.proc.kill("SIGTERM");
  expect(await exitWithin(p!, 8000)).toBe(0);
  await Bun.sleep(100);
  const after = badTokenCount(p!.lines);
  expect(after.lines).toBeLessThanOrEqual(before.lines + 3);
  expect(after.count - before.count).toBeGreaterThanOrEqual(2000);
  expect(after.count).toBeLessThanOrEqual(2000 + 10);
  expect(p!.lines.some((l) => / repeated=\d{4}/.test(l) && l.includes("bad token"))).toBe(true);
}, 30_000);
