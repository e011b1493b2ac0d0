// The access line's fields (issue 18): client, rule number, pool and server, bytes in and out, the
// timings, retries, the termination reason of the refusals tcpvs makes itself (denied, limited,
// queue_timeout; the cut ones are in stalls.test.ts), and `access_log = "syslog:HOST:PORT"` lines
// received by a real UDP listener as RFC 5424 messages.

import { expect, test } from "bun:test";
import { exchange, GET, inet, rig, TestBackend } from "./helpers.ts";

const access = (lines: string[]) =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "access");

test("bytes, timings, rule, pool, server and retries are on the line", async () => {
  // Timers run on the event loop's cached clock, which a busy loop leaves behind: the server's wait is
  // well above the bound asserted below.
  const b = new TestBackend("b1", () => ({ body: "0123456789", delayMs: 100 }));
  const r = await rig(
    { web: [b], other: [b] },
    { access_log: true, rule: [{ path_prefix: "/o", pool: "other" }] },
  );
  try {
    const body = "x".repeat(100);
    await exchange(r.port, `POST /o HTTP/1.1\r\nHost: t.example\r\nContent-Length: 100\r\n\r\n${body}`);
    const [line] = access(r.lines);
    expect(line).toMatchObject({ uri: "/o", rule: 1, pool: "other", server: "b1", status: 200, retries: 0 });
    const head = "POST /o HTTP/1.1\r\nHost: t.example\r\nContent-Length: 100\r\n\r\n";
    expect(line!.bytes_in).toBe(head.length + 100);
    // The response's head plus its 10 body bytes.
    expect(line!.bytes_out as number).toBeGreaterThan(10 + "HTTP/1.1 200 OK\r\n".length);
    expect(line!.t_head as number).toBeGreaterThanOrEqual(0);
    expect(line!.t_queue).toBe(0);
    expect(line!.t_connect as number).toBeGreaterThanOrEqual(0);
    // The server waited 100 ms before its head.
    expect(line!.t_server as number).toBeGreaterThanOrEqual(50);
    expect(line!.ms as number).toBeGreaterThanOrEqual(50);
    expect(line!.term).toBeUndefined();
  } finally {
    await r.stop();
  }
});

test("a retried request counts its retries; refusals say denied, limited, queue_timeout", async () => {
  const gone = new TestBackend("gone");
  const ok = new TestBackend("ok", () => ({ delayMs: 300 }));
  const r = await rig(
    { web: [gone, ok] },
    {
      access_log: true,
      rule: [{ path: "/no", deny: 403 }],
      limit: [{ key: "source", rate: { count: 1, ms: 60_000 }, burst: 0, max_keys: 10, path: "/lim" }],
    },
    { web: { queue_timeout: 100 } },
  );
  gone.stop();
  try {
    await exchange(r.port, GET("/retry"));
    await exchange(r.port, GET("/no"));
    await exchange(r.port, GET("/lim"));
    await exchange(r.port, GET("/lim"));
    r.cluster.pools.get("web")!.server("gone")!.up = false;
    r.cluster.pools.get("web")!.server("ok")!.maxConnections = 1;
    const slow = exchange(r.port, GET("/busy"));
    await Bun.sleep(30);
    await exchange(r.port, GET("/queued"));
    await slow;
    const by = (uri: string) => access(r.lines).filter((l) => l.uri === uri);
    expect(by("/retry")[0]).toMatchObject({ status: 200, retries: 1, server: "ok" });
    expect(by("/no")[0]).toMatchObject({ status: 403, term: "denied", rule: 1 });
    expect(by("/lim").map((l) => [l.status, l.term])).toEqual([
      [200, undefined],
      [429, "limited"],
    ]);
    const q = by("/queued")[0]!;
    expect(q).toMatchObject({ status: 503, term: "queue_timeout" });
    // The wait is timed by the coarse clock (the sweep tick), the figure by the fine one.
    expect(q.t_queue as number).toBeGreaterThanOrEqual(50);
  } finally {
    await r.stop();
  }
});

test('access_log = "syslog:HOST:PORT": RFC 5424 lines reach a real UDP listener', async () => {
  const got: string[] = [];
  const udp = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(_s, buf) {
        got.push(buf.toString());
      },
    },
  });
  const b = new TestBackend("b1");
  const r = await rig({ web: [b] }, { access_log: { syslog: inet(udp.port) } });
  try {
    await exchange(r.port, GET("/s1"));
    await exchange(r.port, GET("/s2?q=1"));
    for (let i = 0; i < 100 && got.length < 2; i++) await Bun.sleep(10);
    expect(got.length).toBe(2);
    // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG, facility local0, severity info.
    const m = /^<134>1 (\S+) (\S+) tcpvs (\d+) access - (.*)$/.exec(got[0]!);
    expect(m).not.toBeNull();
    expect(Number.isNaN(Date.parse(m![1]!))).toBe(false);
    expect(Number(m![3])).toBe(process.pid);
    expect(m![4]).toContain('"uri":"/s1"');
    expect(got[1]).toContain('"uri":"/s2?q=1"');
    // Not on the ordinary log as well.
    expect(access(r.lines)).toEqual([]);
  } finally {
    await r.stop();
    udp.close();
  }
});
