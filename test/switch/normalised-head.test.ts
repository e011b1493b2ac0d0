// What a server gets when the client's head is legal but ambiguous (issue 13): an absolute-form target
// with its own authority, Content-Length repeated with one value, an Upgrade to a protocol the operator
// did not allow. Each test reads the raw bytes that reached a real backend through a real listener.

import { afterEach, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import type { RequestHead } from "../../core/http/head.ts";
import { HttpParser } from "../../core/http/parser.ts";
import { exchange, type Rig, rig, type TestBackend, vsConfig } from "./helpers.ts";

const OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

/** A backend that keeps every byte it receives and answers each request with `answer(head)`. */
class RawBackend {
  readonly name: string;
  raw = "";
  accepts = 0;
  answer: (h: RequestHead) => string;
  private readonly listener: import("bun").TCPSocketListener<{ p: HttpParser<RequestHead> }>;

  constructor(name: string, answer: (h: RequestHead) => string = () => OK) {
    this.name = name;
    this.answer = answer;
    this.listener = Bun.listen<{ p: HttpParser<RequestHead> }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (s: Socket<{ p: HttpParser<RequestHead> }>) => {
          this.accepts++;
          let head: RequestHead | undefined;
          s.data = {
            p: new HttpParser<RequestHead>("request", {
              onHead: (h) => {
                head = h;
              },
              onEnd: () => {
                s.write(this.answer(head!));
              },
            }),
          };
        },
        data: (s, d) => {
          this.raw += d.toString("latin1");
          s.data.p.execute(d);
        },
        error: () => {},
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  /** The first head received, final empty line included. */
  get head(): string {
    const e = this.raw.indexOf("\r\n\r\n");
    return e < 0 ? this.raw : this.raw.slice(0, e + 4);
  }

  /** Field lines of the first head named `name` (any case), as received. */
  fields(name: string): string[] {
    return this.head
      .split("\r\n")
      .slice(1)
      .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  }

  stop(): void {
    this.listener.stop(true);
  }
}

const asTest = (b: RawBackend) => b as unknown as TestBackend;

let r: Rig | undefined;
afterEach(async () => {
  await r?.stop();
  r = undefined;
});

describe("absolute-form request target", () => {
  test("routes on the target's authority and forwards origin-form with Host from the target", async () => {
    const a = new RawBackend("a");
    const b = new RawBackend("b");
    r = await rig(
      { b: [asTest(b)], a: [asTest(a)] },
      {
        pool: "b",
        rule: [
          // A rule reading the Host field itself must see the authority that wins, not the received one.
          { header: { name: "host", regex: "^b\\.test$" }, pool: "b" },
          { host: "a.test", pool: "a" },
        ],
      },
    );
    const x = await exchange(r.port, "GET http://a.test/x?q=1 HTTP/1.1\r\nHost: b.test\r\n\r\n");
    expect(x.responses[0]?.status).toBe(200);
    expect(b.raw).toBe("");
    expect(a.head).toStartWith("GET /x?q=1 HTTP/1.1\r\n");
    expect(a.fields("host")).toEqual(["host: a.test"]);
    expect(a.raw).not.toContain("b.test");
  });

  test("HTTP/1.0 absolute-form without Host gets the target's authority as Host", async () => {
    const a = new RawBackend("a");
    r = await rig({ web: [asTest(a)] });
    const x = await exchange(r.port, "GET HTTP://A.test:8080 HTTP/1.0\r\n\r\n");
    expect(x.responses[0]?.status).toBe(200);
    expect(a.head).toStartWith("GET / HTTP/1.0\r\n");
    expect(a.fields("host")).toEqual(["host: a.test:8080"]);
  });

  test("OPTIONS with an empty path becomes OPTIONS *; a bare query keeps its path /", async () => {
    const a = new RawBackend("a");
    r = await rig({ web: [asTest(a)] });
    await exchange(r.port, "OPTIONS http://a.test HTTP/1.1\r\nHost: a.test\r\n\r\n");
    expect(a.head).toStartWith("OPTIONS * HTTP/1.1\r\n");
    a.raw = "";
    await exchange(r.port, "GET http://a.test?q=1 HTTP/1.1\r\nHost: a.test\r\n\r\n");
    expect(a.head).toStartWith("GET /?q=1 HTTP/1.1\r\n");
  });

  test("what RFC 9110/9112 say to reject is still 400 and never reaches the server", async () => {
    const a = new RawBackend("a");
    r = await rig({ web: [asTest(a)] });
    const cases: Array<[string, string]> = [
      ["GET http://a.test/x HTTP/1.1\r\n\r\n", "missing_host"],
      ["GET http://a.test/x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", "duplicate_host"],
      ["GET http://a.test/x HTTP/1.1\r\nHost: b test\r\n\r\n", "bad_host"],
      ["GET http://user@a.test/x HTTP/1.1\r\nHost: a.test\r\n\r\n", "bad_host"],
      ["GET http:///x HTTP/1.1\r\nHost: a.test\r\n\r\n", "bad_host"],
      ["GET http://:80/x HTTP/1.1\r\nHost: a.test\r\n\r\n", "bad_host"],
      ["GET http://a.test:8x/x HTTP/1.1\r\nHost: a.test\r\n\r\n", "bad_host"],
    ];
    for (const [wire, code] of cases) {
      const x = await exchange(r.port, wire);
      expect(`${x.responses[0]?.status} ${x.responses[0]?.body.trim()}`).toEndWith(code);
      expect(x.responses[0]?.status).toBe(400);
    }
    expect(a.raw).toBe("");
  });
});

describe("Content-Length repeated with one value", () => {
  test("two equal fields reach the server as one", async () => {
    const a = new RawBackend("a");
    r = await rig({ web: [asTest(a)] });
    const x = await exchange(
      r.port,
      "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    );
    expect(x.responses[0]?.status).toBe(200);
    expect(a.fields("content-length")).toEqual(["content-length: 5"]);
    expect(a.raw).toEndWith("\r\n\r\nhello");
  });

  test("a list of equal values reaches the server as one value", async () => {
    const a = new RawBackend("a");
    r = await rig({ web: [asTest(a)] });
    const x = await exchange(r.port, "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello");
    expect(x.responses[0]?.status).toBe(200);
    expect(a.fields("content-length")).toEqual(["content-length: 5"]);
    expect(a.raw).toEndWith("\r\n\r\nhello");
  });

  test("differing values are 400 and never reach the server", async () => {
    const a = new RawBackend("a");
    r = await rig({ web: [asTest(a)] });
    for (const cl of ["Content-Length: 5, 6\r\n", "Content-Length: 5\r\nContent-Length: 6\r\n"]) {
      const x = await exchange(r.port, `POST /p HTTP/1.1\r\nHost: a\r\n${cl}\r\nhello`);
      expect(x.responses[0]?.status).toBe(400);
      expect(x.responses[0]?.body).toContain("conflicting_content_length");
    }
    expect(a.raw).toBe("");
  });

  test("a server's repeated equal Content-Length reaches the client as one; differing ones are 502", async () => {
    let answer = "";
    const a = new RawBackend("a", () => answer);
    r = await rig({ web: [asTest(a)] });
    for (const cl of ["Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n"]) {
      answer = `HTTP/1.1 200 OK\r\n${cl}\r\nhello`;
      const x = await exchange(r.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      expect(x.responses[0]?.body).toBe("hello");
      const head = x.raw.slice(0, x.raw.indexOf("\r\n\r\n"));
      expect(head.split("\r\n").filter((l) => /^content-length:/i.test(l))).toEqual(["content-length: 5"]);
    }
    answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello";
    const bad = await exchange(r.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(bad.responses[0]?.status).toBe(502);
  });
});

describe("Upgrade only to the protocols upgrade_protocols allows", () => {
  const H2C =
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n" +
    "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
  const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const SWITCH = (p: string) =>
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${p}\r\n\r\n`;
  const WS = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";

  test("h2c goes to the server as an ordinary request, without Upgrade or HTTP2-Settings", async () => {
    const a = new RawBackend("a");
    r = await rig({ web: [asTest(a)] });
    const x = await exchange(r.port, H2C);
    expect(x.responses[0]?.status).toBe(200);
    expect(x.responses[0]?.body).toBe("ok");
    expect(a.fields("upgrade")).toEqual([]);
    expect(a.fields("http2-settings")).toEqual([]);
    expect(a.fields("connection")).toEqual([]);
    // The client connection stays HTTP: a second request on it is parsed and answered.
    const y = await exchange(r.port, `${H2C}GET /2 HTTP/1.1\r\nHost: a\r\n\r\n`, { count: 2 });
    expect(y.responses.map((z) => z.status)).toEqual([200, 200]);
  });

  test("a server answering 101 to a dropped upgrade gets the client a 502 and tunnels nothing", async () => {
    const a = new RawBackend("a", () => SWITCH("h2c"));
    r = await rig({ web: [asTest(a)] });
    const x = await exchange(r.port, H2C + PREFACE);
    await Bun.sleep(50);
    expect(x.raw).toStartWith("HTTP/1.1 502 ");
    expect(x.raw).not.toContain("Switching");
    expect(x.responses[0]?.body).toContain("unexpected_101");
    expect(a.raw).not.toContain("PRI");
  });

  test("websocket is still tunnelled after the server's 101", async () => {
    const a = new RawBackend("a", () => SWITCH("websocket"));
    r = await rig({ web: [asTest(a)] });
    const x = await exchange(r.port, [WS, "ping"], { timeoutMs: 300 });
    expect(x.raw).toStartWith("HTTP/1.1 101 ");
    expect(a.fields("upgrade")).toEqual(["upgrade: websocket"]);
    expect(a.fields("connection")).toEqual(["connection: upgrade"]);
    expect(a.raw).toEndWith("\r\n\r\nping");
  });

  test("several protocols offered: only the allowed ones reach the server", async () => {
    const a = new RawBackend("a");
    r = await rig({ web: [asTest(a)] }, { upgrade_protocols: ["WebSocket"] });
    await exchange(
      r.port,
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c, WebSocket\r\n\r\n",
    );
    expect(a.fields("upgrade")).toEqual(["upgrade: WebSocket"]);
    a.raw = "";
    // Two Upgrade fields are one list: the second cannot smuggle h2c past the first.
    await exchange(
      r.port,
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\nUpgrade: h2c\r\n\r\n",
    );
    expect(a.fields("upgrade")).toEqual(["upgrade: websocket"]);
  });

  test("h2c, when allowed, reaches the server with its HTTP2-Settings and is tunnelled after 101", async () => {
    const a = new RawBackend("a", () => SWITCH("h2c"));
    r = await rig({ web: [asTest(a)] }, { upgrade_protocols: ["websocket", "h2c"] });
    const x = await exchange(r.port, [H2C, PREFACE], { timeoutMs: 300 });
    expect(x.raw).toStartWith("HTTP/1.1 101 ");
    expect(a.fields("upgrade")).toEqual(["upgrade: h2c"]);
    expect(a.fields("connection")).toEqual(["connection: upgrade, http2-settings"]);
    expect(a.fields("http2-settings")).toEqual(["http2-settings: AAMAAABkAARAAAAAAAIAAAAA"]);
    expect(a.raw).toEndWith(`\r\n\r\n${PREFACE}`);
  });

  test("a 101 to a protocol the request did not offer is 502", async () => {
    const a = new RawBackend("a", () => SWITCH("h2c"));
    r = await rig({ web: [asTest(a)] });
    const x = await exchange(r.port, [WS, "ping"], { timeoutMs: 300 });
    expect(x.raw).toStartWith("HTTP/1.1 502 ");
    expect(a.raw).not.toContain("ping");
  });

  test("upgrade_protocols = [] turns websocket off too, and a reload applies the key", async () => {
    const a = new RawBackend("a", () => SWITCH("websocket"));
    r = await rig({ web: [asTest(a)] });
    const before = await exchange(r.port, WS, { timeoutMs: 300 });
    expect(before.raw).toStartWith("HTTP/1.1 101 ");
    await r.sw.reload([vsConfig({ upgrade_protocols: [] })]);
    a.raw = "";
    a.answer = () => OK;
    const after = await exchange(r.port, WS);
    expect(after.responses[0]?.status).toBe(200);
    expect(a.fields("upgrade")).toEqual([]);
    a.answer = () => SWITCH("websocket");
    const refused = await exchange(r.port, [WS, "ping"], { timeoutMs: 300 });
    expect(refused.raw).toStartWith("HTTP/1.1 502 ");
  });
});

describe("a head repeated on one connection (decoded once by the parser)", () => {
  test("reaches the server each time as the first did: edits, raw bytes and bodies where they belong", async () => {
    const a = new RawBackend("a");
    r = await rig(
      { web: [asTest(a)] },
      {
        rule: [
          {
            path_prefix: "/api/",
            pool: "web",
            rewrite_path: { regex: "^/api(/.*)$", replace: "$1" },
            set_header: [["X-Api", "1"]],
            del_header: ["cookie"],
          },
        ],
      },
    );
    const edited = "GET /api/u?id=7 HTTP/1.1\r\nHost: t.example\r\nCookie: sid=1\r\nX-Api: client\r\n\r\n";
    // Not edited: forwarded from the received bytes, so the parser's offsets must be this head's own.
    const post = "POST /raw HTTP/1.1\r\nHost: t.example\r\nContent-Length: 3\r\n\r\n";
    const absolute = "GET http://a.test/x HTTP/1.1\r\nHost: b.test\r\n\r\n";
    const wire = [edited, edited, edited, `${post}abc`, `${post}def`, `\r\n${post}ghi`, absolute, absolute];
    const x = await exchange(r.port, wire.join(""), { count: wire.length });
    expect(x.responses.map((s) => s.status)).toEqual(wire.map(() => 200));
    const heads = a.raw.split(/(?=GET |POST )/);
    expect(heads).toHaveLength(wire.length);
    for (const h of heads.slice(0, 3)) {
      expect(h).toStartWith("GET /u?id=7 HTTP/1.1\r\n");
      expect(h.toLowerCase()).not.toContain("cookie");
      expect(h.toLowerCase().match(/\r\nx-api: /g)).toHaveLength(1);
      expect(h.toLowerCase()).toContain("\r\nx-api: 1\r\n");
    }
    expect(heads.slice(3, 6).map((h) => h.slice(h.indexOf("\r\n\r\n") + 4))).toEqual(["abc", "def", "ghi"]);
    for (const h of heads.slice(3, 6)) expect(h).toStartWith("POST /raw HTTP/1.1\r\nHost: t.example\r\n");
    for (const h of heads.slice(6)) {
      expect(h).toStartWith("GET /x HTTP/1.1\r\n");
      expect(h.toLowerCase().match(/\r\nhost: /g)).toHaveLength(1);
      expect(h).not.toContain("b.test");
    }
  });
});
