// A head that repeats the previous one on the same connection reuses its decode: the result must be
// exactly what a fresh decode gives, and each caller must get a head of its own to edit.

import { describe, expect, test } from "bun:test";
import type { RequestHead, ResponseHead } from "../../core/http/head.ts";
import { HttpParser } from "../../core/http/parser.ts";

function requests(): { p: HttpParser<RequestHead>; heads: RequestHead[] } {
  const heads: RequestHead[] = [];
  const p = new HttpParser<RequestHead>("request", { onHead: (h) => heads.push(h), onEnd: () => {} });
  return { p, heads };
}

const GET = "GET /a?b=1 HTTP/1.1\r\nHost: A.example\r\nConnection: keep-alive\r\nX-Id: 7\r\n\r\n";

describe("a repeated head", () => {
  test("is decoded twice (the head, its first repeat) and reported like the first", () => {
    const { p, heads } = requests();
    expect(p.execute(Buffer.from(GET + GET))).toBeUndefined();
    expect(p.execute(Buffer.from(GET))).toBeUndefined();
    expect(p.execute(Buffer.from(GET))).toBeUndefined();
    expect(heads).toHaveLength(4);
    expect(p.decodes).toBe(2);
    for (const h of heads.slice(1)) expect(h).toEqual(heads[0]!);
    expect(heads[0]!.host).toBe("a.example");
    expect(heads[0]!.connection).toEqual(["keep-alive"]);
  });

  test("hands each caller lists of its own: an edit does not reach the next request", () => {
    const heads: RequestHead[] = [];
    const p = new HttpParser<RequestHead>("request", {
      onHead: (h) => {
        heads.push(structuredClone(h));
        // What the switch's rewrites do to a request: in place.
        h.values[0] = "changed";
        h.names.push("x-added");
        h.values.push("1");
        h.target = "/rewritten";
        h.normalised = true;
      },
      onEnd: () => {},
    });
    expect(p.execute(Buffer.from(GET + GET + GET + GET))).toBeUndefined();
    expect(p.decodes).toBe(2);
    for (const h of heads.slice(1)) expect(h).toEqual(heads[0]!);
    expect(heads[2]!.names).toEqual(["host", "connection", "x-id"]);
    expect(heads[2]!.target).toBe("/a?b=1");
  });

  test("counts the empty lines before it in its own size", () => {
    const { p, heads } = requests();
    expect(p.execute(Buffer.from(`${GET}${GET}\r\n${GET}`))).toBeUndefined();
    expect(p.decodes).toBe(2);
    expect(heads[2]!.size).toBe(heads[0]!.size + 2);
  });

  test("only the last head is remembered, and any difference decodes afresh", () => {
    const { p, heads } = requests();
    const other = GET.replace("X-Id: 7", "X-Id: 8");
    expect(p.execute(Buffer.from(GET + GET + other + GET + GET + GET))).toBeUndefined();
    // GET, its repeat; other; GET and its repeat afresh (the other head replaced it); a copy.
    expect(p.decodes).toBe(5);
    expect(heads.map((h) => h.values[2])).toEqual(["7", "7", "8", "7", "7", "7"]);
  });

  test("a head over 1 KiB is not kept by the connection", () => {
    const { p, heads } = requests();
    const big = GET.replace("X-Id: 7", `X-Id: ${"7".repeat(1100)}`);
    expect(p.execute(Buffer.from(GET + GET + big + big + big + GET))).toBeUndefined();
    expect(heads).toHaveLength(6);
    // Every big one is decoded (never remembered), and it made the connection forget GET.
    expect(p.decodes).toBe(6);
  });

  test("is recognised when it arrives in pieces, and a longer head with its bytes as a prefix is not", () => {
    const { p, heads } = requests();
    expect(p.execute(Buffer.from(GET + GET))).toBeUndefined();
    const b = Buffer.from(GET);
    for (const cut of [1, 20, b.length - 3, b.length - 1]) {
      expect(p.execute(b.subarray(0, cut))).toBeUndefined();
      expect(p.execute(b.subarray(cut))).toBeUndefined();
    }
    expect(p.decodes).toBe(2);
    // The remembered bytes end in the empty line; here a field follows where it was.
    const longer = GET.replace("\r\n\r\n", "\r\nX-More: 1\r\n\r\n");
    expect(p.execute(Buffer.from(longer))).toBeUndefined();
    expect(p.decodes).toBe(3);
    expect(heads).toHaveLength(7);
    for (const h of heads.slice(1, 6)) expect(h).toEqual(heads[0]!);
    expect(heads[6]!.names).toEqual(["host", "connection", "x-id", "x-more"]);
  });

  test("still counts against the head size limit with the empty lines before it", () => {
    const heads: RequestHead[] = [];
    const p = new HttpParser<RequestHead>(
      "request",
      { onHead: (h) => heads.push(h), onEnd: () => {} },
      { maxHeaderSize: GET.length + 4 },
    );
    expect(p.execute(Buffer.from(GET + GET + GET))).toBeUndefined();
    expect(p.execute(Buffer.from(`\r\n\r\n\r\n${GET}`))?.code).toBe("headers_too_large");
    expect(heads).toHaveLength(3);
  });

  test("a broken head after a good one is still refused", () => {
    const { p, heads } = requests();
    const bad = GET.replace("X-Id: 7", "X-Id: 7\x01");
    const err = p.execute(Buffer.from(GET + GET + GET + bad));
    expect(heads).toHaveLength(3);
    expect(err?.code).toBe("bad_header_value");
  });
});

describe("a repeated response head", () => {
  test("frames its body by the request it answers, not by the first answer", () => {
    const heads: ResponseHead[] = [];
    const bodies: string[] = [];
    let ends = 0;
    const p = new HttpParser<ResponseHead>("response", {
      onHead: (h) => heads.push(h),
      onData: (b, s, e) => bodies.push(b.toString("latin1", s, e)),
      onEnd: () => ends++,
    });
    const res = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\n";
    expect(p.execute(Buffer.from(`${res}hello`))).toBeUndefined();
    p.requestMethod = "HEAD";
    expect(p.execute(Buffer.from(res))).toBeUndefined();
    expect(ends).toBe(2);
    p.requestMethod = "GET";
    expect(p.execute(Buffer.from(`${res}world`))).toBeUndefined();
    expect(ends).toBe(3);
    expect(bodies).toEqual(["hello", "world"]);
    expect(p.decodes).toBe(2);
    expect(heads[2]).toEqual(heads[0]!);
  });
});
