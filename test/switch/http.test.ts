// HTTP behaviour through the switch: pipelining, connection reuse, servers closing idle connections,
// header rewriting, framing variants, 100-continue, upgrade and cookie persistence.

import { afterEach, expect, test } from "bun:test";
import { exchange, GET, type Rig, rig, TestBackend, vsConfig } from "./helpers.ts";

let r: Rig | undefined;
afterEach(async () => {
  await r?.stop();
  r = undefined;
});

test("pipelined requests are answered in order even when the first is slowest", async () => {
  const b1 = new TestBackend("b1", (h) => (h.target === "/slow" ? { delayMs: 150 } : undefined));
  const b2 = new TestBackend("b2");
  r = await rig({ web: [b1, b2] });
  const x = await exchange(r.port, GET("/slow") + GET("/fast") + GET("/third"), { count: 3 });
  expect(x.responses.map((y) => y.body)).toEqual([
    "hello from b1 /slow",
    "hello from b2 /fast",
    "hello from b1 /third",
  ]);
});

test("keep-alive: many requests on one client connection reuse one server connection", async () => {
  const b = new TestBackend("b1");
  r = await rig({ web: [b] });
  for (let round = 0; round < 3; round++) {
    const x = await exchange(r.port, GET("/a") + GET("/b") + GET("/c"), { count: 3 });
    expect(x.responses.length).toBe(3);
    expect(x.closed).toBe(false);
  }
  expect(b.requests.length).toBe(9);
  expect(b.accepts).toBe(1);
});

test("a server closing idle pooled connections causes no client-visible error", async () => {
  const b = new TestBackend("b1");
  r = await rig({ web: [b] });
  for (let i = 0; i < 5; i++) {
    const x = await exchange(r.port, GET(`/r${i}`));
    expect(x.responses[0]?.status).toBe(200);
    b.closeAll();
    await Bun.sleep(i % 2 === 0 ? 20 : 0); // with and without the server's FIN seen first
  }
  expect(b.requests.length).toBe(5);
  expect(b.accepts).toBeGreaterThan(1);
});

test("a pooled connection closed without an answer is retried on a fresh one", async () => {
  let n = 0;
  const b = new TestBackend("b1", () => (n++ === 1 ? { raw: "" } : undefined));
  r = await rig({ web: [b] });
  expect((await exchange(r.port, GET("/1"))).responses[0]?.status).toBe(200);
  // The server reads the next request on the pooled connection and hangs up without answering.
  const sock = [...b.sockets][0]!;
  b.handler = (h) => {
    if (h.target === "/2" && n === 1) {
      n++;
      sock.end();
      return { silent: true };
    }
    return undefined;
  };
  const x = await exchange(r.port, GET("/2"));
  expect(x.responses[0]?.status).toBe(200);
  expect(r.cluster.counters.get("retry.reused_closed")).toBe(1);
});

test("hop-by-hop fields are removed, X-Forwarded-* and Forwarded are added", async () => {
  const b = new TestBackend("b1", () => ({
    headers: { "keep-alive": "timeout=5", "x-drop-me": "1", connection: "x-drop-me" },
  }));
  r = await rig({ web: [b] }, { forwarded: true });
  const x = await exchange(
    r.port,
    GET(
      "/",
      "Connection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: 5\r\nTE: trailers\r\nX-Forwarded-For: 192.0.2.9\r\nX-Forwarded-Proto: https\r\n",
    ),
  );
  const h = b.requests[0]!;
  const get = (n: string) => h.values[h.names.indexOf(n)];
  expect(h.names).not.toContain("x-secret");
  expect(h.names).not.toContain("keep-alive");
  expect(h.names).not.toContain("te");
  expect(get("x-forwarded-for")).toBe("192.0.2.9, 127.0.0.1");
  expect(get("x-forwarded-proto")).toBe("http");
  expect(get("forwarded")).toContain("for=127.0.0.1;proto=http");
  expect(x.responses[0]?.headers["x-drop-me"]).toBeUndefined();
  expect(x.responses[0]?.headers["keep-alive"]).toBeUndefined();
});

test("Connection cannot strip the framing fields", async () => {
  const b = new TestBackend("b1");
  r = await rig({ web: [b] });
  await exchange(
    r.port,
    "POST / HTTP/1.1\r\nHost: x\r\nConnection: content-length\r\nContent-Length: 3\r\n\r\nabc",
  );
  expect(b.bodies[0]).toBe("abc");
});

test("chunked request bodies pass through; HTTP/1.0 clients get keep-alive when asked", async () => {
  const b = new TestBackend("b1");
  r = await rig({ web: [b] });
  const x = await exchange(
    r.port,
    "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  );
  expect(x.responses[0]?.status).toBe(200);
  expect(b.bodies[0]).toBe("abc");
  const y = await exchange(
    r.port,
    "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
    { count: 2 },
  );
  expect(y.responses[0]?.headers.connection).toBe("keep-alive");
  expect(y.responses[1]?.headers.connection).toBe("close");
});

test("HEAD and 204 responses carry no body; chunked responses are relayed", async () => {
  const b = new TestBackend("b1", (h) => {
    if (h.target === "/204") return { raw: "HTTP/1.1 204 No Content\r\n\r\n" };
    if (h.target === "/chunked")
      return {
        raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      };
    return undefined;
  });
  r = await rig({ web: [b] });
  const h = await exchange(r.port, "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n", { method: "HEAD" });
  expect(h.responses[0]?.headers["content-length"]).toBe(String("hello from b1 /h".length));
  expect(h.responses[0]?.body).toBe("");
  expect((await exchange(r.port, GET("/204"))).responses[0]?.status).toBe(204);
  const c = await exchange(r.port, GET("/chunked") + GET("/after"), { count: 2 });
  expect(c.responses.map((x) => x.body)).toEqual(["hello world", "hello from b1 /after"]);
});

test("a malformed response becomes 502", async () => {
  const b = new TestBackend("b1", () => ({
    raw: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
  }));
  r = await rig({ web: [b] });
  const x = await exchange(r.port, GET("/"));
  expect(x.responses[0]?.status).toBe(502);
  expect(r.cluster.counters.get("reject.bad_response")).toBe(1);
});

test("Expect: 100-continue is relayed", async () => {
  const b = new TestBackend("b1");
  r = await rig({ web: [b] });
  const x = await exchange(
    r.port,
    "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
  );
  expect(x.responses[0]?.status).toBe(200);
  expect(b.bodies[0]).toBe("hi");
});

test("upgrade is tunnelled only after 101", async () => {
  // A backend that answers 101 and then echoes raw bytes upper-cased.
  const echo = Bun.listen<{ up: boolean }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (s) => {
        s.data = { up: false };
      },
      data: (s, d) => {
        if (!s.data.up) {
          s.data.up = true;
          s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
          return;
        }
        s.write(d.toString().toUpperCase());
      },
    },
  });
  const b = new TestBackend("b1");
  // "echo" is no protocol tcpvs allows by default (upgrade_protocols = ["websocket"]).
  r = await rig({ web: [b] }, { upgrade_protocols: ["echo"] });
  // Point the pool's only server at the echo listener.
  r.cluster.pools.get("web")!.servers[0]!;
  (
    r.sw as unknown as {
      pools: Record<string, { server: Array<{ address: { port: number; text: string } }> }>;
    }
  ).pools.web!.server[0]!.address.port = echo.port;
  let got = "";
  const done = Promise.withResolvers<void>();
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port: r.port,
    socket: {
      data: (sock, d) => {
        got += d.toString();
        if (got.includes("\r\n\r\n") && !got.includes("PING")) sock.write("ping");
        if (got.includes("PING")) done.resolve();
      },
    },
  });
  s.write("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
  await Promise.race([done.promise, Bun.sleep(2000)]);
  s.end();
  echo.stop(true);
  expect(got).toStartWith("HTTP/1.1 101");
  expect(got).toEndWith("PING");
});

test("cookie persistence through the real scheduler: an opaque Set-Cookie, honoured while its server is up", async () => {
  const b1 = new TestBackend("b1");
  const b2 = new TestBackend("b2");
  r = await rig({ web: [b1, b2] }, {}, { web: { scheduler_options: { cookie: "SRV" } } });
  const first = await exchange(r.port, GET("/"));
  const set = first.responses[0]?.headers["set-cookie"];
  // The value is an opaque hash of the server id, not its name.
  expect(set).toMatch(/^SRV=[0-9a-f]{8}; Path=\/; HttpOnly$/);
  const firstServer = first.responses[0]!.body.startsWith("hello from b1") ? "b1" : "b2";
  expect(set).not.toContain(firstServer);
  // Learn b2's value: ask until the scheduler sends us there.
  let b2cookie = "";
  for (let i = 0; i < 4 && !b2cookie; i++) {
    const x = await exchange(r.port, GET("/"));
    if (x.responses[0]!.body.startsWith("hello from b2"))
      b2cookie = x.responses[0]!.headers["set-cookie"]!.split(";")[0]!;
  }
  expect(b2cookie).toMatch(/^SRV=[0-9a-f]{8}$/);
  for (let i = 0; i < 4; i++) {
    const x = await exchange(r.port, GET("/", `Cookie: ${b2cookie}\r\n`));
    expect(x.responses[0]?.body).toStartWith("hello from b2");
    expect(x.responses[0]?.headers["set-cookie"]).toBeUndefined();
  }
  r.cluster.updateServer(
    "web",
    "b2",
    (s) => {
      s.healthy = false;
    },
    "test",
  );
  const y = await exchange(r.port, GET("/", `Cookie: ${b2cookie}\r\n`));
  expect(y.responses[0]?.body).toStartWith("hello from b1");
  expect(y.responses[0]?.headers["set-cookie"]).toMatch(/^SRV=[0-9a-f]{8}; Path=\/; HttpOnly$/);
  expect(y.responses[0]?.headers["set-cookie"]).not.toBe(`${b2cookie}; Path=/; HttpOnly`);
});

test("a server sending a body to HEAD does not poison the next request on that connection", async () => {
  const b = new TestBackend("b1", (h) =>
    h.method === "HEAD" ? { raw: "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nextra" } : undefined,
  );
  r = await rig({ web: [b] });
  const h = await exchange(r.port, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", { method: "HEAD" });
  expect(h.responses[0]?.status).toBe(200);
  await Bun.sleep(20);
  const g = await exchange(r.port, GET("/next"));
  expect(g.responses[0]?.body).toBe("hello from b1 /next");
});

test("a clean response head is passed on byte for byte; one with hop-by-hop fields is rebuilt", async () => {
  const b = new TestBackend("b1", (h) =>
    h.target === "/raw"
      ? {
          raw: "HTTP/1.1 200 Fine\r\nX-Mixed-Case: Yes\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
        }
      : {
          raw: "HTTP/1.1 200 Fine\r\nX-Mixed-Case: Yes\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok",
        },
  );
  r = await rig({ web: [b] });
  const raw = await exchange(r.port, GET("/raw"));
  expect(raw.raw).toBe(
    "HTTP/1.1 200 Fine\r\nX-Mixed-Case: Yes\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
  );
  const rebuilt = await exchange(r.port, GET("/rebuilt"));
  expect(rebuilt.raw).toBe("HTTP/1.1 200 Fine\r\nx-mixed-case: Yes\r\ncontent-length: 2\r\n\r\nok");
});

test("X-Forwarded-* go on every request of a keep-alive connection, and stop when a reload turns them off", async () => {
  const b = new TestBackend("b1");
  r = await rig({ web: [b] });
  let got = "";
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port: r.port,
    socket: {
      data: (_s, d) => {
        got += d.toString("latin1");
      },
    },
  });
  const answered = async (n: number) => {
    for (let i = 0; i < 200 && got.split("HTTP/1.1 200").length - 1 < n; i++) await Bun.sleep(5);
  };
  try {
    sock.write(GET("/1"));
    await answered(1);
    sock.write(GET("/2"));
    await answered(2);
    await r.sw.reload([vsConfig({ x_forwarded_for: false, x_forwarded_proto: true })]);
    sock.write(GET("/3"));
    await answered(3);
  } finally {
    sock.end();
  }
  expect(b.accepts).toBe(1);
  expect(b.requests.map((h) => h.target)).toEqual(["/1", "/2", "/3"]);
  const field = (i: number, n: string) => b.requests[i]!.values[b.requests[i]!.names.indexOf(n)];
  expect(field(0, "x-forwarded-for")).toBe("127.0.0.1");
  expect(field(1, "x-forwarded-for")).toBe("127.0.0.1");
  expect(field(1, "x-forwarded-proto")).toBe("http");
  expect(b.requests[2]!.names).not.toContain("x-forwarded-for");
  expect(field(2, "x-forwarded-proto")).toBe("http");
});
