// Every kind of refusal on the control channel reaches the log, and a flood of them does not flood it:
// one line per kind at once, then the count.

import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { ControlServer } from "../../core/control/control-server.ts";
import { makeCluster, makeProvider, tempDir } from "./fixture.ts";

const TOKEN = "s3cret-token-0123456789";
let tmp: ReturnType<typeof tempDir> | undefined;
let server: ControlServer | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.close();
  await server?.stop();
  server = undefined;
  tmp?.cleanup();
  tmp = undefined;
});

async function start(opts: { maxConnections?: number; maxMessageBytes?: number; intervalMs?: number } = {}) {
  tmp = tempDir();
  const { provider, lines } = makeProvider(makeCluster());
  const path = join(tmp.dir, "control.sock");
  server = await ControlServer.start({
    endpoint: { kind: "unix", path, text: `unix:${path}` },
    provider,
    token: TOKEN,
    maxConnections: opts.maxConnections,
    maxMessageBytes: opts.maxMessageBytes,
    rate: { perSecond: 5, burst: 5 },
    refusalLogIntervalMs: opts.intervalMs ?? 60_000,
  });
  const warns = () =>
    lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === "warn");
  return { path, warns };
}

function upgradeHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-version": "13",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    ...extra,
  };
}

/** A WebSocket on the unix socket, open. */
function open(path: string, token = TOKEN): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws+unix://${path}:/control`, {
      headers: { authorization: `Bearer ${token}` },
    } as unknown as string[]);
    sockets.push(ws);
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error("no connection"));
  });
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    ws.onclose = (e) => resolve(e.code);
    setTimeout(() => resolve(-1), 5000);
  });
}

test("2,000 bad tokens: one line at once, then one line with the count", async () => {
  const { path, warns } = await start();
  const statuses = new Map<number, number>();
  for (let batch = 0; batch < 40; batch++) {
    const rs = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch("http://localhost/control", {
          unix: path,
          headers: upgradeHeaders(i % 2 ? { authorization: "Bearer wrong-0123456789" } : {}),
        }),
      ),
    );
    for (const r of rs) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  expect(statuses.get(401)).toBe(2000);
  expect(warns()).toHaveLength(1);
  expect(warns()[0]).toMatchObject({
    kind: "bad_token",
    msg: expect.stringMatching(/^Control channel refused a connection with a bad token: /),
  });
  await server!.stop();
  const lines = warns();
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatchObject({ kind: "bad_token", repeated: 1999 });
  expect(lines[1]!.msg).toMatch(
    /: 1999 more times in [0-9.]+ s, last: (no Bearer token|the token does not match)$/,
  );
});

test("an oversized frame is logged (Bun closes it with 1006, not 1009)", async () => {
  const { path, warns } = await start({ maxMessageBytes: 4096 });
  for (const size of [10_000, 10 * 1024 * 1024]) {
    const ws = await open(path);
    const done = closed(ws);
    ws.send("x".repeat(size));
    await done;
  }
  await Bun.sleep(50);
  const big = warns().filter((l) => l.kind === "frame_too_large");
  expect(big).toHaveLength(1);
  expect(big[0]).toMatchObject({ limit: 4096, reason: "a frame over 4096 bytes" });
  await server!.stop();
  expect(warns().at(-1)).toMatchObject({ kind: "frame_too_large", repeated: 1 });
});

test("each kind of refusal has its line", async () => {
  const { path, warns } = await start({ maxConnections: 1 });
  const kinds = () => warns().map((l) => l.kind);
  // bad token, browser, unknown path, not a WebSocket
  expect((await fetch("http://localhost/control", { unix: path, headers: upgradeHeaders() })).status).toBe(
    401,
  );
  const browser = await fetch("http://localhost/control", {
    unix: path,
    headers: upgradeHeaders({ authorization: `Bearer ${TOKEN}`, origin: "https://evil.example" }),
  });
  expect(browser.status).toBe(403);
  expect((await fetch("http://localhost/admin", { unix: path })).status).toBe(404);
  const plain = await fetch("http://localhost/control", {
    unix: path,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(plain.status).toBe(426);
  // too many connections: the limit is 1
  const ws = await open(path);
  const second = await fetch("http://localhost/control", {
    unix: path,
    headers: upgradeHeaders({ authorization: `Bearer ${TOKEN}` }),
  });
  expect(second.status).toBe(503);
  // a bad message, then more than the rate allows (5 per second, burst 5), then a flood cut off
  const answers: Array<{ ok: boolean; error?: { code: string } }> = [];
  ws.onmessage = (m) => answers.push(JSON.parse(String(m.data)));
  const cut = closed(ws);
  ws.send("{not json");
  for (let i = 0; i < 60; i++) ws.send(JSON.stringify({ v: 1, id: i, method: "status" }));
  expect(await cut).toBe(1008);
  expect(answers[0]?.error?.code).toBe("bad_request");
  expect(answers.some((a) => a.error?.code === "rate_limited")).toBe(true);
  await Bun.sleep(50);
  expect(new Set(kinds())).toEqual(
    new Set([
      "bad_token",
      "forbidden_origin",
      "not_found",
      "not_websocket",
      "too_many_connections",
      "bad_message",
      "rate_limited",
      "flooding",
    ]),
  );
  // One line each, however many of them: 50+ rate-limit refusals made one line.
  expect(warns()).toHaveLength(8);
  for (const l of warns()) expect(typeof l.peer).toBe("string");
  expect(warns().find((l) => l.kind === "bad_message")!.reason).toBe("Send JSON: the frame did not parse");
});
