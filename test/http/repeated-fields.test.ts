// Fields a message may legally repeat and the parser folds into one reading: Content-Length with one
// value (RFC 9110 8.6) and Upgrade (a list, RFC 9110 5.3); and the authority an absolute-form target
// must carry (RFC 9110 4.2.1).

import { describe, expect, test } from "bun:test";
import type { RequestHead, ResponseHead } from "../../core/http/head.ts";
import { req, res } from "./parse-helper.ts";

const H = "Host: a\r\n";
const fields = (h: RequestHead | ResponseHead) => h.names.map((n, i) => `${n}: ${h.values[i]}`);

describe("Content-Length sent more than once with one value", () => {
  test.each([
    ["Content-Length: 3\r\nContent-Length: 3\r\n"],
    ["Content-Length: 3, 3\r\n"],
    ["Content-Length: 3,3 , 3\r\n"],
    ["Content-Length: 3\r\nContent-Length: 3, 3\r\n"],
  ])("%j becomes one field holding the value", (cl) => {
    const o = req(`POST / HTTP/1.1\r\n${H}${cl}X-After: 1\r\n\r\nabc`);
    const h = o.heads[0] as RequestHead;
    expect(o.bodies).toEqual(["abc"]);
    expect(h.contentLength).toBe(3);
    expect(h.normalised).toBe(true);
    expect(fields(h)).toEqual(["host: a", "content-length: 3", "x-after: 1"]);
  });

  test("a single field is left as it came and marks nothing", () => {
    const h = req(`POST / HTTP/1.1\r\n${H}Content-Length: 003\r\n\r\nabc`).heads[0] as RequestHead;
    expect(h.normalised).toBe(false);
    expect(fields(h)).toEqual(["host: a", "content-length: 003"]);
  });

  test.each([
    ["Content-Length: 3, 4\r\n", "conflicting_content_length"],
    ["Content-Length: 3\r\nContent-Length: 3, 4\r\n", "conflicting_content_length"],
    ["Content-Length: 3,\r\n", "bad_content_length"],
    ["Content-Length: 3, +3\r\n", "bad_content_length"],
  ])("%j is refused", (cl, code) => {
    expect(req(`POST / HTTP/1.1\r\n${H}${cl}\r\nabc`).error).toBe(code);
  });

  test("a response gets the same treatment", () => {
    const o = res("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok");
    const h = o.heads[0] as ResponseHead;
    expect(o.bodies).toEqual(["ok"]);
    expect(h.normalised).toBe(true);
    expect(fields(h)).toEqual(["content-length: 2"]);
    expect(res("HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok").error).toBe("conflicting_content_length");
  });
});

describe("Upgrade and absolute-form", () => {
  test("every Upgrade field counts, not only the last", () => {
    const h = req(`GET / HTTP/1.1\r\n${H}Connection: upgrade\r\nUpgrade: websocket\r\nUpgrade: H2C\r\n\r\n`)
      .heads[0] as RequestHead;
    expect(h.upgrade).toBe("websocket, h2c");
  });

  test.each(["http:///x", "http://:80/x", "http://?q", "http://u@a.test/", "https://a.test:x/"])(
    "absolute-form %j without a valid host is bad_host",
    (target) => {
      expect(req(`GET ${target} HTTP/1.1\r\n${H}\r\n`).error).toBe("bad_host");
    },
  );

  test("absolute-form keeps the received target; host is its authority", () => {
    const h = req(`GET HTTPS://A.test:8443?q HTTP/1.1\r\n${H}\r\n`).heads[0] as RequestHead;
    expect(h.target).toBe("HTTPS://A.test:8443?q");
    expect(h.host).toBe("a.test:8443");
    expect(h.normalised).toBe(false);
  });
});
