import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configHash, startControl } from "../../core/control/start-control.ts";
import type { ControlError } from "../../core/control/control-error.ts";
import { ControlHandler } from "../../core/control/control-handler.ts";
import { ControlClient } from "../../core/control/control-client.ts";
import { ControlServer } from "../../core/control/control-server.ts";
import { parseRequest } from "../../core/control/protocol.ts";
import { RateLimiter } from "../../core/control/rate-limiter.ts";
import type { ClusterEvent } from "../../core/state/cluster.ts";
import { makeCluster, makeProvider } from "./fixture.ts";

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return (e as ControlError).code;
  }
}

describe("parseRequest", () => {
  test("checks version, id, method and params", () => {
    expect(parseRequest('{"v":1,"id":1,"method":"status"}').request).toEqual({ method: "status" });
    const bad = (s: string) => {
      try {
        parseRequest(s);
        return "parsed";
      } catch (e) {
        return (e as ControlError).code;
      }
    };
    expect(bad("{")).toBe("bad_request");
    expect(bad("[]")).toBe("bad_request");
    expect(bad('{"v":2,"id":1,"method":"status"}')).toBe("bad_version");
    expect(bad('{"v":1,"method":"status"}')).toBe("bad_request");
    expect(bad('{"v":1,"id":1,"method":"drain","params":{"pool":"app"}}')).toBe("bad_request");
    expect(bad('{"v":1,"id":1,"method":"weight","params":{"pool":"a","server":"b","weight":1.5}}')).toBe(
      "bad_request",
    );
    expect(
      bad('{"v":1,"id":1,"method":"vrrp","params":{"instance":"VI_1","action":"priority","priority":255}}'),
    ).toBe("bad_request");
    expect(bad('{"v":1,"id":1,"method":"vrrp","params":{"instance":"VI_1","action":"explode"}}')).toBe(
      "bad_request",
    );
  });
});

describe("RateLimiter", () => {
  test("allows the burst, refuses beyond, refills with time", () => {
    const r = new RateLimiter(10, 3, 0);
    expect([r.take(0), r.take(0), r.take(0), r.take(0)]).toEqual([true, true, true, false]);
    expect(r.take(100)).toBe(true); // 0.1 s at 10/s is one token
    expect(r.take(100)).toBe(false);
  });
});

describe("ControlHandler actions", () => {
  test("check and vrrp go through the callbacks; unknown instance and failures are errors", async () => {
    const cluster = makeCluster();
    const calls: string[] = [];
    const { provider } = makeProvider(cluster, {
      checkNow: async (pool, server) => {
        calls.push(`check ${pool}/${server}`);
        return { ok: true, reason: "status 200", latencyMs: 4, at: 1 };
      },
      vrrp: async (instance, action, priority) => {
        calls.push(`vrrp ${instance} ${action} ${priority}`);
        return action === "normal" ? { ok: false, message: "not in maintenance" } : { ok: true };
      },
    });
    const events: ClusterEvent[] = [];
    cluster.subscribe((e) => events.push(e));
    const h = new ControlHandler(provider);
    expect(await h.handle({ method: "check", pool: "app", server: "a2" }, "p")).toMatchObject({
      ok: true,
      action: "check",
      state: "up",
      check: { ok: true, latency_ms: 4, at_ms: 1 },
    });
    expect(
      await h.handle({ method: "vrrp", instance: "VI_1", action: "priority", priority: 20 }, "p"),
    ).toMatchObject({ ok: true, action: "vrrp", held: false, operator_priority: 20 });
    // backup is a hold the snapshot shows until normal; normal failing here keeps it.
    await h.handle({ method: "vrrp", instance: "VI_1", action: "backup" }, "p");
    expect(cluster.vrrpOperator.get("VI_1")).toMatchObject({ held: true, priority: 20 });
    expect(await code(h.handle({ method: "vrrp", instance: "VI_1", action: "normal" }, "p"))).toBe(
      "action_failed",
    );
    expect(await code(h.handle({ method: "vrrp", instance: "VI_9", action: "backup" }, "p"))).toBe(
      "not_found",
    );
    expect(await code(h.handle({ method: "check", pool: "nope", server: "a2" }, "p"))).toBe("not_found");
    expect(calls).toEqual([
      "check app/a2",
      "vrrp VI_1 priority 20",
      "vrrp VI_1 backup undefined",
      "vrrp VI_1 normal undefined",
    ]);
    expect(events.filter((e) => e.type === "action").map((e) => (e as { action: string }).action)).toEqual([
      "check",
      "vrrp",
      "vrrp",
      "vrrp",
    ]);
  });
});

describe("ControlServer on loopback TCP", () => {
  test("serves with a token on 127.0.0.1 and names the peer by address", async () => {
    const cluster = makeCluster();
    const { provider, lines } = makeProvider(cluster);
    const token = "tcp-token-0123456789abcdef";
    const server = await ControlServer.start({
      endpoint: { kind: "inet", host: "127.0.0.1", port: 0, family: 4, text: "127.0.0.1:0" },
      provider,
      token,
    });
    const address = server.address;
    try {
      expect(await code(ControlClient.connect(address))).toBe("bad_token");
      const c = await ControlClient.connect(server.address, { token });
      await c.request("disable", { pool: "app", server: "a1" });
      c.close();
      expect(cluster.pools.get("app")!.server("a1")!.up).toBe(false);
      expect(lines.some((l) => l.includes('"action":"disable"') && l.includes('"peer":"127.0.0.1:'))).toBe(
        true,
      );
    } finally {
      await server.stop();
    }
    expect(await code(ControlClient.connect(address))).toBe("refused");
  });
});

describe("startControl", () => {
  test("reads the token file named by the config and enforces it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tcpvs-start-"));
    const path = join(dir, "c.sock");
    writeFileSync(join(dir, "tok"), "start-token-0123456789\n", { mode: 0o600 });
    const { provider } = makeProvider(makeCluster());
    const server = await startControl(
      {
        control: { kind: "unix", path, text: path },
        control_token_file: join(dir, "tok"),
        control_allow_remote: false,
      },
      provider,
    );
    try {
      expect(await code(ControlClient.connect(`unix:${path}`))).toBe("bad_token");
      const c = await ControlClient.connect(`unix:${path}`, { token: "start-token-0123456789" });
      c.close();
      writeFileSync(join(dir, "short"), "abc");
      await expect(
        startControl(
          {
            control: { kind: "unix", path: join(dir, "d.sock"), text: "x" },
            control_token_file: join(dir, "short"),
            control_allow_remote: false,
          },
          provider,
        ),
      ).rejects.toThrow(/16 characters/);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(configHash("a")).toMatch(/^[0-9a-f]{64}$/);
    expect(configHash("a")).not.toBe(configHash("b"));
  });
});
