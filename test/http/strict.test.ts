// Each strictness rule as a twin pair: the request that must be refused (with its status and code) and
// the closest request that must pass. Every case is also fed byte by byte and in random pieces.

import { describe, expect, test } from "bun:test";
import { req, res } from "./parse-helper.ts";

const H = "Host: a.example\r\n";

interface Twin {
  rule: string;
  bad: string;
  good: string;
  code: string;
  status: number;
  opts?: { maxHeaderSize?: number; maxHeaders?: number; maxRequestLine?: number; maxBodySize?: number };
}

const twins: Twin[] = [
  {
    rule: "CL with TE",
    bad: `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    code: "cl_and_te",
    status: 400,
  },
  {
    rule: "differing CL",
    bad: `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`,
    good: `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`,
    code: "conflicting_content_length",
    status: 400,
  },
  {
    rule: "CL list differing",
    bad: `POST / HTTP/1.1\r\n${H}Content-Length: 3, 4\r\n\r\nabcd`,
    good: `POST / HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`,
    code: "conflicting_content_length",
    status: 400,
  },
  {
    rule: "malformed CL",
    bad: `POST / HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`,
    good: `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc`,
    code: "bad_content_length",
    status: 400,
  },
  {
    rule: "huge CL",
    bad: `POST / HTTP/1.1\r\n${H}Content-Length: 1234567890123456\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`,
    code: "bad_content_length",
    status: 400,
  },
  {
    rule: "TE final not chunked",
    bad: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    code: "bad_transfer_encoding",
    status: 400,
  },
  {
    rule: "TE chunked twice",
    bad: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    code: "bad_transfer_encoding",
    status: 400,
  },
  {
    rule: "TE on HTTP/1.0",
    bad: `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    good: `POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n`,
    code: "te_on_http10",
    status: 400,
  },
  {
    rule: "chunk size not hex",
    bad: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nz\r\nabc\r\n0\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    code: "bad_chunk_size",
    status: 400,
  },
  {
    rule: "chunk size overflow",
    bad: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n100000000000003\r\nabc\r\n0\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0000000000003\r\nabc\r\n0\r\n\r\n`,
    code: "chunk_size_overflow",
    status: 400,
  },
  {
    rule: "chunk data overrun",
    bad: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    code: "bad_chunk",
    status: 400,
  },
  {
    rule: "chunk line bare LF",
    bad: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n`,
    code: "bare_lf",
    status: 400,
  },
  {
    rule: "obs-fold",
    bad: `GET / HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}X-A: 1 2\r\n\r\n`,
    code: "obs_fold",
    status: 400,
  },
  {
    rule: "space before colon",
    bad: `GET / HTTP/1.1\r\n${H}X-A : 1\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}X-A:1\r\n\r\n`,
    code: "space_before_colon",
    status: 400,
  },
  {
    rule: "CR in value",
    bad: `GET / HTTP/1.1\r\n${H}X-A: 1\r2\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}X-A: 1 2\r\n\r\n`,
    code: "bare_cr",
    status: 400,
  },
  {
    rule: "LF in value",
    bad: `GET / HTTP/1.1\r\n${H}X-A: 1\n2\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}X-A: 1\t2\r\n\r\n`,
    code: "bare_lf",
    status: 400,
  },
  {
    rule: "NUL in value",
    bad: `GET / HTTP/1.1\r\n${H}X-A: 1\x002\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}X-A: 1\xe92\r\n\r\n`,
    code: "bad_header_value",
    status: 400,
  },
  {
    rule: "CTL in value",
    bad: `GET / HTTP/1.1\r\n${H}X-A: 1\x7f\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}X-A: 1~\r\n\r\n`,
    code: "bad_header_value",
    status: 400,
  },
  {
    rule: "NUL in name",
    bad: `GET / HTTP/1.1\r\n${H}X-\x00A: 1\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}X-_A: 1\r\n\r\n`,
    code: "bad_header_name",
    status: 400,
  },
  {
    rule: "bad char in name",
    bad: `GET / HTTP/1.1\r\n${H}X(A): 1\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}X-A: 1\r\n\r\n`,
    code: "bad_header_name",
    status: 400,
  },
  {
    rule: "no colon",
    bad: `GET / HTTP/1.1\r\n${H}X-A 1\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}X-A: 1\r\n\r\n`,
    code: "bad_header_name",
    status: 400,
  },
  {
    rule: "bare LF line ends",
    bad: `GET / HTTP/1.1\n${H}\n`,
    good: `GET / HTTP/1.1\r\n${H}\r\n`,
    code: "bare_lf",
    status: 400,
  },
  {
    rule: "bare LF head end",
    bad: `GET / HTTP/1.1\r\n${H}\n`,
    good: `GET / HTTP/1.1\r\n${H}\r\n`,
    code: "bare_lf",
    status: 400,
  },
  {
    rule: "missing Host on 1.1",
    bad: "GET / HTTP/1.1\r\n\r\n",
    good: "GET / HTTP/1.0\r\n\r\n",
    code: "missing_host",
    status: 400,
  },
  {
    rule: "duplicate Host",
    bad: `GET / HTTP/1.1\r\n${H}${H}\r\n`,
    good: `GET / HTTP/1.1\r\n${H}\r\n`,
    code: "duplicate_host",
    status: 400,
  },
  {
    rule: "invalid Host",
    bad: "GET / HTTP/1.1\r\nHost: a b/c\r\n\r\n",
    good: "GET / HTTP/1.1\r\nHost: a.b:8080\r\n\r\n",
    code: "bad_host",
    status: 400,
  },
  {
    rule: "request line too long",
    bad: `GET /${"a".repeat(100)} HTTP/1.1\r\n${H}\r\n`,
    good: `GET /${"a".repeat(80)} HTTP/1.1\r\n${H}\r\n`,
    code: "uri_too_long",
    status: 414,
    opts: { maxRequestLine: 100 },
  },
  {
    rule: "head too large",
    bad: `GET / HTTP/1.1\r\n${H}X-A: ${"b".repeat(200)}\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}X-A: ${"b".repeat(150)}\r\n\r\n`,
    code: "headers_too_large",
    status: 431,
    opts: { maxHeaderSize: 200 },
  },
  {
    rule: "too many headers",
    bad: `GET / HTTP/1.1\r\n${H}A: 1\r\nB: 2\r\nC: 3\r\n\r\n`,
    good: `GET / HTTP/1.1\r\n${H}A: 1\r\nB: 2\r\n\r\n`,
    code: "too_many_headers",
    status: 431,
    opts: { maxHeaders: 3 },
  },
  {
    rule: "body too large (CL)",
    bad: `POST / HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\nhello world`,
    good: `POST / HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nhelloworld`,
    code: "body_too_large",
    status: 413,
    opts: { maxBodySize: 10 },
  },
  {
    rule: "body too large (chunked)",
    bad: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n`,
    code: "body_too_large",
    status: 413,
    opts: { maxBodySize: 10 },
  },
  {
    rule: "double space in request line",
    bad: `GET  / HTTP/1.1\r\n${H}\r\n`,
    good: `GET / HTTP/1.1\r\n${H}\r\n`,
    code: "bad_request_line",
    status: 400,
  },
  {
    rule: "bad method char",
    bad: `G(T / HTTP/1.1\r\n${H}\r\n`,
    good: `G-T / HTTP/1.1\r\n${H}\r\n`,
    code: "bad_method",
    status: 400,
  },
  {
    rule: "bad version",
    bad: `GET / HTTP/1.x\r\n${H}\r\n`,
    good: `GET / HTTP/1.1\r\n${H}\r\n`,
    code: "bad_version",
    status: 400,
  },
  {
    rule: "HTTP/2 version",
    bad: `GET / HTTP/2.0\r\n${H}\r\n`,
    good: `GET / HTTP/1.1\r\n${H}\r\n`,
    code: "version_not_supported",
    status: 505,
  },
  {
    rule: "target with control",
    bad: `GET /a\x01b HTTP/1.1\r\n${H}\r\n`,
    good: `GET /a%01b HTTP/1.1\r\n${H}\r\n`,
    code: "bad_target",
    status: 400,
  },
  {
    rule: "relative target",
    bad: `GET a/b HTTP/1.1\r\n${H}\r\n`,
    good: `GET /a/b HTTP/1.1\r\n${H}\r\n`,
    code: "bad_target",
    status: 400,
  },
  {
    rule: "unknown expectation",
    bad: `POST / HTTP/1.1\r\n${H}Expect: 200-ok\r\nContent-Length: 0\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 0\r\n\r\n`,
    code: "bad_expect",
    status: 417,
  },
  {
    rule: "CONNECT",
    bad: `CONNECT a.example:443 HTTP/1.1\r\n${H}\r\n`,
    good: `OPTIONS * HTTP/1.1\r\n${H}\r\n`,
    code: "unsupported_method",
    status: 405,
  },
  {
    rule: "bad trailer",
    bad: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nX : 1\r\n\r\n`,
    good: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n\r\n`,
    code: "space_before_colon",
    status: 400,
  },
];

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
