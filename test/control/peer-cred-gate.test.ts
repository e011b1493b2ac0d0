// The gate in front of the unix control socket: it adds the kernel's credentials for each connection,
// a forged header does not pass for it, and it holds neither too many connections nor silent ones.

import { afterEach, expect, test } from "bun:test";
import net from "node:net";
import { join } from "node:path";
import { credFromHeader, PEER_HEADER, PeerCredGate } from "../../core/control/peer-cred-gate.ts";
import { tempDir } from "./fixture.ts";

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A gate in front of a plain HTTP server that echoes the gate's header. */
async function gate(opts: { maxConnections?: number; requestLineMs?: number } = {}) {
  const tmp = tempDir();
  const publicPath = join(tmp.dir, "c.sock");
  const privatePath = `${PeerCredGate.privateDir(publicPath)}/ws.sock`;
  const server = Bun.serve({
    unix: privatePath,
    fetch: (req) => new Response(req.headers.get(PEER_HEADER) ?? "none"),
  });
  const refused: string[] = [];
  const g = new PeerCredGate({ publicPath, privatePath, onRefuse: (w) => refused.push(w), ...opts });
  await g.listen();
  cleanup.push(
    () => server.stop(true),
    () => g.stop(),
    () => tmp.cleanup(),
  );
  return { g, publicPath, refused };
}

test("each request arrives with the peer's uid, gid and pid after the gate's secret", async () => {
  const { g, publicPath } = await gate();
  const r = await fetch("http://localhost/control", {
    unix: publicPath,
    headers: { [PEER_HEADER]: "forged 0 0 1" },
  });
  const value = await r.text();
  expect(credFromHeader(value, g.secret)).toEqual({
    uid: process.getuid!(),
    gid: process.getgid!(),
    pid: process.pid,
  });
  // The forged value is there too, but it does not carry the secret.
  expect(credFromHeader("forged 0 0 1", g.secret)).toBeUndefined();
  expect(credFromHeader(null, g.secret)).toBeUndefined();
});

test("a connection that sends nothing is closed; beyond the cap connections are refused", async () => {
  const { publicPath, refused } = await gate({ maxConnections: 2, requestLineMs: 200 });
  const open = (): Promise<{ closedAfterMs: number }> =>
    new Promise((resolve) => {
      const t0 = Date.now();
      const s = net.connect(publicPath);
      s.on("error", () => {});
      s.on("close", () => resolve({ closedAfterMs: Date.now() - t0 }));
    });
  const [a, b, c] = await Promise.all([open(), open(), open()]);
  const times = [a, b, c].map((x) => x.closedAfterMs).sort((x, y) => x - y);
  // The third is refused at once; the two silent ones are closed after the request-line timeout.
  expect(times[0]).toBeLessThan(150);
  expect(times[1]).toBeGreaterThanOrEqual(150);
  expect(times[2]).toBeLessThan(3000);
  expect(refused).toEqual(["2 connections open already"]);
});
