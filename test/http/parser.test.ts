// What the parser reports for valid traffic: framing, pipelining, keep-alive, upgrade and responses.

import { describe, expect, test } from "bun:test";
import type { RequestHead, ResponseHead } from "../../core/http/head.ts";
import { HttpParser } from "../../core/http/parser.ts";
import { req, res } from "./parse-helper.ts";

const H = "Host: a.example\r\n";

describe("requests", () => {
  test("pipelined messages come out in order with their bodies", () => {
    const o = req(
      `GET /1 HTTP/1.1\r\n${H}\r\nPOST /2 HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhelloPUT /3 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 9\r\n\r\n`,
    );
    expect(o.error).toBeUndefined();
    expect(o.heads.map((h) => (h as RequestHead).target)).toEqual(["/1", "/2", "/3"]);
    expect(o.bodies).toEqual(["", "hello", "abcde"]);
    expect(o.trailers).toEqual([["x-sum: 9"]]);
    expect(o.raw).toBe("hello3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 9\r\n\r\n");
  });

  test("fields are decoded with lower-case names and trimmed values", () => {
    const h = req(`GET /p?q=1 HTTP/1.1\r\nHost: A.Example:8080\r\nX-Thing:  a b \t\r\nCookie: s=1\r\n\r\n`)
      .heads[0] as RequestHead;
    expect(h.method).toBe("GET");
    expect(h.host).toBe("a.example:8080");
    expect(h.names).toEqual(["host", "x-thing", "cookie"]);
    expect(h.values).toEqual(["A.Example:8080", "a b", "s=1"]);
    expect(h.ascii).toBe(true);
  });

  test("keep-alive rules for 1.0 and 1.1", () => {
    const k = (w: string) => (req(w).heads[0] as RequestHead).keepAlive;
    expect(k(`GET / HTTP/1.1\r\n${H}\r\n`)).toBe(true);
    expect(k(`GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`)).toBe(false);
    expect(k("GET / HTTP/1.0\r\n\r\n")).toBe(false);
    expect(k("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")).toBe(true);
  });

  test("upgrade, expect and absolute-form", () => {
    const u = req(`GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)
      .heads[0] as RequestHead;
    expect(u.upgrade).toBe("websocket");
    const noConn = req(`GET /ws HTTP/1.1\r\n${H}Upgrade: websocket\r\n\r\n`).heads[0] as RequestHead;
    expect(noConn.upgrade).toBeUndefined();
    const e = req(`POST / HTTP/1.1\r\n${H}Expect: 100-Continue\r\nContent-Length: 1\r\n\r\nx`)
      .heads[0] as RequestHead;
    expect(e.expectContinue).toBe(true);
    const a = req(`GET http://B.example/x HTTP/1.1\r\n${H}\r\n`).heads[0] as RequestHead;
    expect(a.host).toBe("b.example");
  });

  test("pauseAfterEnd holds the next request until resume", () => {
    const seen: string[] = [];
    const p = new HttpParser<RequestHead>(
      "request",
      { onHead: (h) => seen.push(h.target), onEnd: () => seen.push("end") },
      { pauseAfterEnd: true },
    );
    expect(p.execute(Buffer.from(`GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\n${H}\r\n`))).toBeUndefined();
    expect(seen).toEqual(["/1", "end"]);
    expect(p.paused).toBe(true);
    expect(p.buffered).toBeGreaterThan(0);
    p.resume();
    expect(seen).toEqual(["/1", "end", "/2", "end"]);
    p.resume();
    expect(p.idle).toBe(true);
  });

  test("bytes after an upgrade are handed over", () => {
    const p = new HttpParser<RequestHead>(
      "request",
      { onHead: () => {}, onEnd: () => {} },
      { pauseAfterEnd: true },
    );
    p.execute(Buffer.from(`GET / HTTP/1.1\r\n${H}Connection: upgrade\r\nUpgrade: x\r\n\r\nRAW`));
    expect(p.upgrade()?.toString()).toBe("RAW");
  });
});

describe("responses", () => {
  test("HEAD, 204 and 304 have no body even with Content-Length", () => {
    expect(res("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD").ends).toBe(1);
    expect(res("HTTP/1.1 204 No Content\r\n\r\n").ends).toBe(1);
    expect(res("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").ends).toBe(1);
  });

  test("100 Continue precedes the final response", () => {
    const o = res("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    expect(o.heads.map((h) => (h as ResponseHead).status)).toEqual([100, 200]);
    expect(o.bodies).toEqual(["ok"]);
  });

  test("101 stops parsing and keeps the tunnel bytes", () => {
    const p = new HttpParser<ResponseHead>("response", { onHead: () => {}, onEnd: () => {} });
    p.execute(
      Buffer.from("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nHELLO"),
    );
    expect(p.upgrade()?.toString()).toBe("HELLO");
  });

  test("a 1.0 response without length is read until close", () => {
    const o = res("HTTP/1.0 200 OK\r\n\r\nall of it", "GET", true);
    expect(o.bodies).toEqual(["all of it"]);
    expect((o.heads[0] as ResponseHead).keepAlive).toBe(false);
  });

  test("status, reason and keep-alive", () => {
    const h = res("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n").heads[0] as ResponseHead;
    expect(h.status).toBe(503);
    expect(h.reason).toBe("Service Unavailable");
    expect(h.keepAlive).toBe(true);
  });
});

describe("memory", () => {
  // A server's response head usually sits at the start of a large read; a parser that kept that read
  // after the head was handled would pin it for a whole keep-alive cycle.
  test("the buffer holding a head is not kept once the head was handled", () => {
    const seen: (Buffer | undefined)[] = [];
    let ref: WeakRef<Buffer> | undefined;
    const p = new HttpParser<ResponseHead>("response", {
      onHead: () => seen.push(p.headBuf),
      onBody: () => {},
      onEnd: () => {},
    });
    (() => {
      const head = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 524288\r\n\r\n", "latin1");
      const chunk = Buffer.alloc(512 * 1024);
      head.copy(chunk);
      ref = new WeakRef(chunk);
      expect(p.execute(chunk)).toBeUndefined();
    })();
    expect(seen.length).toBe(1);
    expect(seen[0]).toBeDefined(); // the head's bytes were there for the handler to pass on
    seen.length = 0;
    expect(p.headBuf).toBeUndefined();
    Bun.gc(true);
    expect(ref!.deref()).toBeUndefined();
  });
});
