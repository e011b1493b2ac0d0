import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { ControlClient } from "../../core/control/control-client.ts";
import { ControlError } from "../../core/control/control-error.ts";
import { ControlServer, checkControlEndpoint } from "../../core/control/control-server.ts";
import type { StatusSnapshot } from "../../core/control/snapshot.ts";
import type { Cluster, ClusterEvent } from "../../core/state/cluster.ts";
import type { EventJson } from "../../core/control/event-json.ts";
import { makeCluster, makeProvider, tempDir } from "./fixture.ts";

let tmp: ReturnType<typeof tempDir>;
let server: ControlServer | undefined;
const clients: ControlClient[] = [];

beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  server = undefined;
  tmp.cleanup();
});

async function start(
  cluster: Cluster,
  opts: { token?: string; actions?: object; maxMessageBytes?: number } = {},
) {
  const { provider, lines } = makeProvider(cluster, opts.actions ?? {});
  const path = join(tmp.dir, "run", "control.sock");
  server = await ControlServer.start({
    endpoint: { kind: "unix", path, text: `unix:${path}` },
    provider,
    token: opts.token,
    maxMessageBytes: opts.maxMessageBytes,
  });
  return { path, lines, address: `unix:${path}` };
}

async function client(address: string, token?: string): Promise<ControlClient> {
  const c = await ControlClient.connect(address, { token, clientName: "test", timeoutMs: 3000 });
  clients.push(c);
  return c;
}

async function rejection(p: Promise<unknown>): Promise<ControlError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ControlError) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

describe("ControlServer over a unix socket", () => {
  test("socket is 0600 in a directory it created; status reports what the test did", async () => {
    const cluster = makeCluster();
    const { path, address } = await start(cluster);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(tmp.dir, "run")).mode & 0o777).toBe(0o700);
    const n = 7;
    for (let i = 0; i < n; i++) cluster.count("reject.timeout");
    const s = cluster.pools.get("app")!.server("a1")!;
    s.requests = 42;
    s.active = 3;
    const c = await client(address);
    const snap = (await c.request("status")) as StatusSnapshot;
    expect(snap.counters["reject.timeout"]).toBe(n);
    expect(snap.pools[0]!.servers[0]!.requests_total).toBe(42);
    expect(snap.pools[0]!.servers[0]!.active_connections).toBe(3);
    expect(snap.vrrp[0]).toMatchObject({ name: "VI_1", state: "master", priority: 150 });
    expect(snap.config).toEqual({ file: "/etc/tcpvs/tcpvs.toml", sha256: "abc123" });
    expect(snap.virtual_servers[0]!.name).toBe("web");
  });

  test("drain sets the server quiescent, logs the peer and emits an action event", async () => {
    const cluster = makeCluster();
    const { address, lines } = await start(cluster);
    const events: ClusterEvent[] = [];
    cluster.subscribe((e) => events.push(e));
    const c = await client(address);
    const r = await c.request("drain", { pool: "app", server: "a1" });
    // The answer agrees with `status server --is`: drained, not "up".
    expect(r).toMatchObject({ ok: true, action: "drain", state: "drained", weight: 0 });
    const s = cluster.pools.get("app")!.server("a1")!;
    expect(s.drained).toBe(true);
    expect(s.weight).toBe(0);
    const action = events.find((e) => e.type === "action");
    expect(action).toMatchObject({ type: "action", action: "drain", detail: { pool: "app", server: "a1" } });
    expect((action as { peer: string }).peer).toContain("test");
    expect(events.some((e) => e.type === "server" && e.server === "a1" && e.weight === 0)).toBe(true);
    expect(lines.some((l) => l.includes('"action":"drain"') && l.includes("unix#"))).toBe(true);
    await c.request("enable", { pool: "app", server: "a1" });
    expect(s.weight).toBe(2);
    await c.request("weight", { pool: "app", server: "a1", weight: 9 });
    expect(s.weight).toBe(9);
    const snap = (await c.request("status")) as StatusSnapshot;
    expect(snap.pools[0]!.servers[0]).toMatchObject({ weight: 9, weight_source: "operator" });
    await c.request("disable", { pool: "app", server: "a1" });
    expect(s.up).toBe(false);
    const nf = await rejection(c.request("drain", { pool: "app", server: "zz" }));
    expect(nf.code).toBe("not_found");
  });

  test("reload with a failing callback returns its errors", async () => {
    const cluster = makeCluster();
    let calls = 0;
    const { address } = await start(cluster, {
      actions: {
        reload: async () => {
          calls++;
          return { ok: false, errors: ['pool.app.server[0].address: "x" is not an address'] };
        },
      },
    });
    const c = await client(address);
    const r = (await c.request("reload")) as { ok: boolean; errors: Array<{ message: string }> };
    expect(calls).toBe(1);
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([{ message: 'pool.app.server[0].address: "x" is not an address' }]);
  });

  test("a missing action answers unavailable; bad params answer bad_request", async () => {
    const { address } = await start(makeCluster());
    const c = await client(address);
    expect((await rejection(c.request("check", { pool: "app", server: "a1" }))).code).toBe("unavailable");
    expect((await rejection(c.request("weight", { pool: "app", server: "a1", weight: -1 }))).code).toBe(
      "bad_request",
    );
    expect((await rejection(c.request("nope"))).code).toBe("unknown_method");
  });

  test("subscription sees a server's state change", async () => {
    const cluster = makeCluster();
    const { address } = await start(cluster);
    const c = await client(address);
    const got: EventJson[] = [];
    const seen = new Promise<void>((resolve) => {
      c.onEvent((e) => {
        got.push(e);
        if (e.type === "server") resolve();
      });
    });
    await c.request("subscribe");
    cluster.updateServer("app", "a2", (s) => (s.healthy = false), "check failed: refused");
    await seen;
    expect(got.find((e) => e.type === "server")).toMatchObject({
      server: "a2",
      up: false,
      reason: "check failed: refused",
    });
  });

  test("bad token, Origin header and oversized frame are refused; others keep being served", async () => {
    const token = "s3cret-token-0123456789";
    const cluster = makeCluster();
    const { address, path } = await start(cluster, { token, maxMessageBytes: 4096 });
    const good = await client(address, token);
    expect((await rejection(client(address, "wrong-token-0123456789"))).code).toBe("bad_token");
    expect((await rejection(client(address))).code).toBe("bad_token");

    const res = await fetch("http://localhost/control", {
      unix: path,
      headers: { origin: "https://evil.example", authorization: `Bearer ${token}`, upgrade: "websocket" },
    });
    expect(res.status).toBe(403);

    const big = await client(address, token);
    const closed = new Promise<ControlError>((resolve) => big.onClose(resolve));
    big.sendRaw(JSON.stringify({ v: 1, id: 1, method: "status", params: { pad: "x".repeat(10000) } }));
    expect((await closed).message).toContain("1009");

    const snap = (await good.request("status")) as StatusSnapshot;
    expect(snap.pools.length).toBe(1);
    expect(server!.connections).toBe(1);
  });

  test("a flood is answered with rate_limited", async () => {
    const { address } = await start(makeCluster());
    const c = await client(address);
    const results = await Promise.allSettled(Array.from({ length: 140 }, () => c.request("status")));
    const limited = results.filter(
      (r) => r.status === "rejected" && (r.reason as ControlError).code === "rate_limited",
    );
    expect(limited.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === "fulfilled").length).toBeGreaterThanOrEqual(100);
  });

  test("connect failures say why", async () => {
    const missing = join(tmp.dir, "none.sock");
    const e1 = await rejection(client(`unix:${missing}`));
    expect(e1.code).toBe("no_socket");
    expect(e1.message).toContain(missing);
    // A stale socket file with nobody behind it: bound by a process that exited without unlinking.
    const stale = join(tmp.dir, "stale.sock");
    const py = Bun.spawnSync([
      "python3",
      "-c",
      `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(stale)})`,
    ]);
    if (py.exitCode !== 0) {
      console.log("skip stale-socket case: python3 unavailable");
      return;
    }
    const e2 = await rejection(client(`unix:${stale}`));
    expect(e2.code).toBe("refused");
    expect(e2.message).toContain("nothing is listening");
    // The daemon replaces a stale socket instead of failing to bind.
    const { provider } = makeProvider(makeCluster());
    const s2 = await ControlServer.start({ endpoint: { kind: "unix", path: stale, text: stale }, provider });
    const c = await client(`unix:${stale}`);
    expect(((await c.request("status")) as StatusSnapshot).version).toBe("0.1.0-test");
    // A second daemon on a live socket is refused rather than stealing it.
    const e3 = await ControlServer.start({
      endpoint: { kind: "unix", path: stale, text: stale },
      provider,
    }).catch((e) => e);
    expect((e3 as ControlError).message).toContain("already serving");
    await s2.stop();
  });

  test("refuses a remote endpoint unless allowed and tokened", () => {
    const ep = {
      kind: "inet" as const,
      host: "10.1.2.3",
      port: 7070,
      family: 4 as const,
      text: "10.1.2.3:7070",
    };
    expect(() => checkControlEndpoint(ep, undefined, false)).toThrow(/loopback/);
    expect(() => checkControlEndpoint(ep, undefined, true)).toThrow(/token/);
    expect(() => checkControlEndpoint(ep, "t", true)).not.toThrow();
    expect(() => checkControlEndpoint({ ...ep, host: "127.0.0.1" }, undefined, false)).not.toThrow();
  });
});
