// Failures and timeouts, each with its status and counter: refused servers are retried elsewhere,
// no server -> 503 or the sorry server, slow clients -> 408, slow servers -> 504, limits -> 413/431/503.

import { missingTools } from "../tools.ts";
import { afterEach, expect, test } from "bun:test";
import { exchange, GET, type Rig, rig, TestBackend } from "./helpers.ts";

let r: Rig | undefined;
afterEach(async () => {
  await r?.stop();
  r = undefined;
});

function deadPort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

test("a refused server is retried on another; the client never sees it", async () => {
  const dead = new TestBackend("dead");
  const live = new TestBackend("live");
  r = await rig({ web: [dead, live] });
  dead.stop();
  for (let i = 0; i < 4; i++) {
    const x = await exchange(r.port, GET(`/${i}`));
    expect(x.responses[0]?.status).toBe(200);
    expect(x.responses[0]?.body).toStartWith("hello from live");
  }
  expect(r.cluster.counters.get("retry")).toBeGreaterThanOrEqual(2);
  expect(r.cluster.pools.get("web")!.server("dead")!.errors).toBeGreaterThanOrEqual(2);
});

test("every server refusing -> 502 after the retries", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { retries: 2 });
  a.stop();
  const x = await exchange(r.port, GET("/"));
  expect(x.responses[0]?.status).toBe(502);
  expect(r.cluster.counters.get("retry")).toBe(2);
});

test("no server up -> 503; with a sorry server it answers instead", async () => {
  const a = new TestBackend("a");
  const sorry = new TestBackend("sorry");
  r = await rig({ web: [a] });
  r.cluster.updateServer(
    "web",
    "a",
    (s) => {
      s.healthy = false;
    },
    "test",
  );
  const x = await exchange(r.port, GET("/"));
  expect(x.responses[0]?.status).toBe(503);
  expect(r.cluster.counters.get("reject.no_server")).toBe(1);
  expect(a.requests.length).toBe(0);
  const pools = (r.sw as unknown as { pools: Record<string, { sorry_server?: unknown }> }).pools;
  pools.web!.sorry_server = {
    kind: "inet",
    host: "127.0.0.1",
    port: sorry.port,
    family: 4,
    text: `127.0.0.1:${sorry.port}`,
  };
  const y = await exchange(r.port, GET("/"));
  expect(y.responses[0]?.body).toStartWith("hello from sorry");
  sorry.stop();
});

test("slow client headers -> 408 and the request never reaches the server", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { client_header_timeout: 150 });
  const x = await exchange(r.port, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow:");
  expect(x.responses[0]?.status).toBe(408);
  expect(r.cluster.counters.get("timeout.client_header")).toBe(1);
  expect(a.bytes).toBe(0);
});

test("an idle keep-alive connection is closed quietly", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { client_keepalive_timeout: 100 });
  const x = await exchange(r.port, GET("/"), { count: 2, timeoutMs: 2000 });
  expect(x.responses.length).toBe(1);
  expect(x.closed).toBe(true);
  expect(r.cluster.counters.get("timeout.client_keepalive")).toBe(1);
});

test("a server that does not answer in time -> 504", async () => {
  const a = new TestBackend("a", () => ({ silent: true }));
  r = await rig({ web: [a] }, { server_response_timeout: 150 });
  const x = await exchange(r.port, GET("/"));
  expect(x.responses[0]?.status).toBe(504);
  expect(r.cluster.counters.get("timeout.server_response")).toBe(1);
});

const NO_PYTHON = missingTools("the connect-timeout test (a listener that never accepts)", "python3");

test.skipIf(NO_PYTHON !== undefined)(
  "a server that does not accept in time -> connect timeout, retried elsewhere",
  async () => {
    // A listener with a backlog of 0 that never accepts: once its queue is full, SYNs go unanswered.
    const py = Bun.spawn(
      [
        "python3",
        "-c",
        "import socket,time\ns=socket.socket();s.bind(('127.0.0.1',0));s.listen(0);print(s.getsockname()[1],flush=True)\nfill=[]\nfor i in range(4):\n  c=socket.socket();c.setblocking(False)\n  try: c.connect(('127.0.0.1',s.getsockname()[1]))\n  except BlockingIOError: pass\n  fill.append(c)\ntime.sleep(20)",
      ],
      { stdout: "pipe" },
    );
    try {
      const reader = py.stdout.getReader();
      const { value } = await reader.read();
      const port = Number(new TextDecoder().decode(value).trim());
      const live = new TestBackend("live");
      const stuck = new TestBackend("stuck");
      r = await rig({ web: [stuck, live] }, { server_connect_timeout: 150, retries: 1 });
      (r.sw as unknown as { pools: Record<string, { server: Array<{ address: { port: number } }> }> }).pools
        .web!.server[0]!.address.port = port;
      await Bun.sleep(50);
      const x = await exchange(r.port, GET("/"));
      expect(r.cluster.counters.get("timeout.server_connect")).toBe(1);
      expect(x.responses[0]?.body).toStartWith("hello from live");
    } finally {
      py.kill();
    }
  },
);

test("max connections per listener: the one over waits in the accept queue, served once a slot frees", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { max_connections: 1 });
  // Holds the one slot mid-request (a partial head: not idle, so never closed to make room).
  const hold = await Bun.connect({ hostname: "127.0.0.1", port: r.port, socket: { data() {} } });
  hold.write("GET / HTTP/1.1\r\n");
  await Bun.sleep(30);
  let answered = false;
  const pending = exchange(r.port, GET("/"), { timeoutMs: 3000 }).then((x) => {
    answered = true;
    return x;
  });
  await Bun.sleep(300);
  expect(answered).toBe(false);
  hold.end();
  const x = await pending;
  expect(x.responses[0]?.status).toBe(200);
  expect(r.cluster.counters.get("reject.max_connections")).toBeUndefined();
});

test("max body size -> 413 before anything is forwarded", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { max_body_size: 100 });
  const x = await exchange(
    r.port,
    `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n${"x".repeat(101)}`,
  );
  expect(x.responses[0]?.status).toBe(413);
  expect(a.bytes).toBe(0);
});

test("max header size -> 431", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { max_header_size: 1024 });
  const x = await exchange(r.port, GET("/", `X-Big: ${"y".repeat(2000)}\r\n`));
  expect(x.responses[0]?.status).toBe(431);
  expect(a.bytes).toBe(0);
});

test("a refused TCP connect to an unused port is counted as a server error", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { retries: 0 });
  (r.sw as unknown as { pools: Record<string, { server: Array<{ address: { port: number } }> }> }).pools.web!
    .server[0]!.address.port = deadPort();
  const x = await exchange(r.port, GET("/"));
  expect(x.responses[0]?.status).toBe(502);
  expect(r.cluster.pools.get("web")!.server("a")!.errors).toBe(1);
  expect(r.cluster.pools.get("web")!.server("a")!.active).toBe(0);
});
