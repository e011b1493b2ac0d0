// The pure parts of the switch: rule compilation and matching, CIDR, cookies, query, PROXY headers,
// head rewriting.

import { describe, expect, test } from "bun:test";
import type { RequestHead, ResponseHead } from "../../core/http/head.ts";
import { HttpParser } from "../../core/http/parser.ts";
import { matchCidr, parseCidr } from "../../core/net/cidr.ts";
import { parseIp } from "../../core/net/ip.ts";
import { proxyV1, proxyV2 } from "../../core/switch/proxy-protocol.ts";
import { requestHead, responseHead } from "../../core/switch/rewrite.ts";
import { cookieValue, queryValue, Router, RuleError, splitTarget } from "../../core/switch/rules.ts";

function head(wire: string): RequestHead {
  let h: RequestHead | undefined;
  const p = new HttpParser<RequestHead>("request", { onHead: (x) => (h = x), onEnd: () => {} });
  const e = p.execute(Buffer.from(wire));
  if (e) throw e;
  return h!;
}

describe("cidr", () => {
  test("IPv4 and IPv6 prefixes", () => {
    expect(matchCidr(parseCidr("10.0.0.0/8")!, "10.200.1.2")).toBe(true);
    expect(matchCidr(parseCidr("10.0.0.0/8")!, "11.0.0.1")).toBe(false);
    expect(matchCidr(parseCidr("192.168.1.7")!, "192.168.1.7")).toBe(true);
    expect(matchCidr(parseCidr("192.168.1.0/25")!, "192.168.1.200")).toBe(false);
    expect(matchCidr(parseCidr("2001:db8::/32")!, "2001:db8:1::5")).toBe(true);
    expect(matchCidr(parseCidr("2001:db8::/32")!, "2001:db9::5")).toBe(false);
    // An IPv4 client seen through a dual-stack socket.
    expect(matchCidr(parseCidr("127.0.0.0/8")!, "::ffff:127.0.0.1")).toBe(true);
  });
  test("invalid input is refused, not crashed on", () => {
    for (const bad of ["10.0.0.0/33", "300.1.1.1", "1.2.3", "::1::2", "2001:db8::/129", "x"]) {
      expect(parseCidr(bad)).toBeUndefined();
    }
    expect(parseIp("::")?.bytes).toEqual(new Uint8Array(16));
    expect(parseIp("1:2:3:4:5:6:7:8")?.bytes[15]).toBe(8);
  });
});

describe("rules", () => {
  test("a bad regex or a hash_capture without regex is a RuleError naming the rule", () => {
    expect(() => new Router({ pool: "p", rule: [{ path_regex: "(", pool: "x" }] })).toThrow(RuleError);
    expect(() => new Router({ pool: "p", rule: [{ path: "/", hash_capture: 1, pool: "x" }] })).toThrow(
      /rule 1/,
    );
    expect(() => new Router({ pool: "p", rule: [{ source: ["nope"], pool: "x" }] })).toThrow(/not a CIDR/);
  });
  test("all matchers of a rule must match", () => {
    const r = new Router({ pool: "def", rule: [{ path_prefix: "/a", method: ["POST"], pool: "both" }] });
    const route = (w: string) => {
      const h = head(w);
      const t = splitTarget(h.target);
      return r.route({ req: h, path: t.path, query: t.query, sourceIp: "1.2.3.4" }).pool;
    };
    expect(route("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")).toBe("both");
    expect(route("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")).toBe("def");
    expect(route("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")).toBe("def");
  });
  test("rules are tried in file order whatever their path's first character (the buckets only narrow)", () => {
    const r = new Router({
      pool: "def",
      rule: [
        { path_prefix: "/a", method: ["POST"], pool: "post-a" },
        { header: { name: "X-Any" }, pool: "any" },
        { path: "/", pool: "root" },
        { path_prefix: "/", method: ["PUT"], pool: "put" },
        { path_prefix: "/ab", pool: "ab" },
        { path_prefix: "/%C3%A9", pool: "pct" },
        { path_regex: "^/b", pool: "b" },
      ],
    });
    const route = (w: string) => {
      const h = head(w);
      const t = splitTarget(h.target);
      return r.route({ req: h, path: t.path, query: t.query, sourceIp: "1.2.3.4" }).pool;
    };
    const get = (p: string, extra = "") => `GET ${p} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
    expect(route(get("/abc"))).toBe("ab");
    expect(route(get("/abc", "X-Any: 1\r\n"))).toBe("any");
    expect(route("POST /abc HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")).toBe("post-a");
    expect(route(get("/"))).toBe("root");
    expect(route("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")).toBe("root");
    expect(route("PUT /zz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")).toBe("put");
    expect(route(get("/b/1"))).toBe("b");
    expect(route(get("/zz"))).toBe("def");
    expect(route(get("/%C3%A9t%C3%A9"))).toBe("pct");
  });
  test("cookie, query and target helpers", () => {
    expect(cookieValue("a=1; b=two; c=3", "b")).toBe("two");
    expect(cookieValue("ab=1", "a")).toBeUndefined();
    expect(queryValue("x=1&y=a%20b&y=2", "y")).toBe("a b");
    expect(queryValue("x", "x")).toBe("");
    expect(splitTarget("http://h.example/p/q?z=1")).toEqual({ path: "/p/q", query: "z=1" });
    expect(splitTarget("/only")).toEqual({ path: "/only", query: "" });
  });
});

describe("rewrite", () => {
  const fwd = {
    clientIp: "2001:db8::1",
    clientPort: 5,
    proto: "http",
    xForwardedFor: false,
    xForwardedProto: false,
    forwarded: true,
    localIp: "10.0.0.1",
  };
  test("Forwarded quotes IPv6 nodes and appends to an existing value", () => {
    const s = requestHead(head("GET / HTTP/1.1\r\nHost: h\r\nForwarded: for=1.1.1.1\r\n\r\n"), fwd, false);
    expect(s).toContain('forwarded: for=1.1.1.1, for="[2001:db8::1]";proto=http;host="h";by=10.0.0.1\r\n');
  });
  test("an HTTP/1.0 request keeps its version and asks the server to keep the connection", () => {
    const s = requestHead(head("GET / HTTP/1.0\r\n\r\n"), { ...fwd, forwarded: false }, false);
    expect(s).toBe("GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n");
  });
  test("response heads: close, keep-alive for 1.0, de-chunking, Set-Cookie", () => {
    let h: ResponseHead | undefined;
    const p = new HttpParser<ResponseHead>("response", { onHead: (x) => (h = x), onEnd: () => {} });
    p.execute(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nKeep-Alive: 5\r\n\r\n"));
    expect(responseHead(h!, { keepAlive: false, clientMinor: 1, dechunk: false, setCookie: undefined })).toBe(
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
    );
    expect(
      responseHead(h!, { keepAlive: true, clientMinor: 0, dechunk: true, setCookie: "S=a; Path=/" }),
    ).toBe("HTTP/1.1 200 OK\r\nconnection: keep-alive\r\nset-cookie: S=a; Path=/\r\n\r\n");
  });
});

describe("PROXY protocol", () => {
  test("v1 text for IPv4 and IPv6", () => {
    expect(proxyV1({ srcIp: "192.0.2.1", srcPort: 4000, dstIp: "192.0.2.2", dstPort: 80 })).toBe(
      "PROXY TCP4 192.0.2.1 192.0.2.2 4000 80\r\n",
    );
    expect(proxyV1({ srcIp: "::ffff:192.0.2.1", srcPort: 1, dstIp: "::ffff:192.0.2.2", dstPort: 2 })).toBe(
      "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n",
    );
    expect(proxyV1({ srcIp: "2001:db8::1", srcPort: 1, dstIp: "2001:db8::2", dstPort: 2 })).toBe(
      "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n",
    );
  });
  test("v2 binary layout", () => {
    const b = proxyV2({ srcIp: "192.0.2.1", srcPort: 4000, dstIp: "192.0.2.2", dstPort: 80 });
    expect(b.length).toBe(28);
    expect([b[12], b[13], b[14], b[15]]).toEqual([0x21, 0x11, 0, 12]);
    expect([...b.subarray(16, 24)]).toEqual([192, 0, 2, 1, 192, 0, 2, 2]);
    expect((b[24]! << 8) | b[25]!).toBe(4000);
    const six = proxyV2({ srcIp: "2001:db8::1", srcPort: 1, dstIp: "2001:db8::2", dstPort: 2 });
    expect(six.length).toBe(52);
    expect(six[13]).toBe(0x21);
  });
});
