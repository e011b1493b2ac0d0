// Each strictness rule as a twin pair: the request that must be refused (with its status and code) and
// the closest request that must pass. Every case is also fed byte by byte and in random pieces.

import { describe, expect, test } from "bun:test";
import { req, res } from "./parse-helper.ts";
import { twins } from "./twins.ts";

describe("strict request parsing: reject and its passing twin", () => {
  for (const t of twins) {
    test(t.rule, () => {
      const bad = req(t.bad, t.opts);
      expect(bad.error).toBe(t.code);
      expect(bad.status).toBe(t.status);
      const good = req(t.good, t.opts);
      expect(good.error).toBeUndefined();
      expect(good.ends).toBe(1);
    });
  }
});

describe("strict response parsing", () => {
  const rtwins: Array<{ rule: string; bad: string; good: string; code: string }> = [
    {
      rule: "CL with TE",
      bad: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      good: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      code: "cl_and_te",
    },
    {
      rule: "status line",
      bad: "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
      good: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      code: "bad_status_line",
    },
    {
      rule: "version",
      bad: "HTTQ/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      good: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
      code: "bad_status_line",
    },
    {
      rule: "obs-fold",
      bad: "HTTP/1.1 200 OK\r\nX: a\r\n\tb\r\nContent-Length: 0\r\n\r\n",
      good: "HTTP/1.1 200 OK\r\nX: a b\r\nContent-Length: 0\r\n\r\n",
      code: "obs_fold",
    },
    {
      rule: "bad chunk",
      bad: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
      good: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
      code: "bad_chunk_size",
    },
    {
      rule: "differing CL",
      bad: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
      good: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nxx",
      code: "conflicting_content_length",
    },
  ];
  for (const t of rtwins) {
    test(t.rule, () => {
      expect(res(t.bad).error).toBe(t.code);
      const g = res(t.good);
      expect(g.error).toBeUndefined();
      expect(g.ends).toBe(1);
    });
  }
  test("a truncated body is an error at EOF, a close-delimited one is not", () => {
    expect(res("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", "GET", true).error).toBe(
      "incomplete_message",
    );
    const ok = res("HTTP/1.1 200 OK\r\n\r\nabc", "GET", true);
    expect(ok.error).toBeUndefined();
    expect(ok.bodies).toEqual(["abc"]);
  });
});
