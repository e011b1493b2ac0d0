// accept_proxy: a connection from a listed source begins with a PROXY v1 or v2 header whose address
// becomes the client's (X-Forwarded-For, source rules, limits, logs); others are refused, and a
// missing or malformed header closes the connection and is counted.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseProxyHeader } from "../../core/switch/proxy-in.ts";
import { proxyV1, proxyV2 } from "../../core/switch/proxy-protocol.ts";
import { exchange, GET, type Rig, rig, TestBackend } from "./helpers.ts";

const from = (srcIp: string, srcPort = 5555) => ({
  srcIp,
  srcPort,
  dstIp: srcIp.includes(":") ? "::1" : "127.0.0.1",
  dstPort: 80,
});

describe("accept_proxy", () => {
  let r: Rig;
  let b: TestBackend;
  beforeAll(async () => {
    b = new TestBackend("b");
    r = await rig(
      { web: [b] },
      {
        accept_proxy: ["127.0.0.0/8"],
        access_log: true,
        rule: [{ path_prefix: "/office/", not: { source: ["198.51.100.0/24"] }, deny: 403 }],
        limit: [
          { key: "source", rate: { count: 1, ms: 60_000 }, burst: 0, max_keys: 10, path_prefix: "/once" },
        ],
      },
    );
  });
  afterAll(async () => {
    await r.stop();
  });

  const xff = () => {
    const q = b.requests.at(-1)!;
    return q.values[q.names.indexOf("x-forwarded-for")];
  };

  test("v1: the header's client is in X-Forwarded-For and in the access log", async () => {
    const { responses } = await exchange(r.port, proxyV1(from("203.0.113.7")) + GET("/v1"));
    expect(responses[0]!.status).toBe(200);
    expect(xff()).toBe("203.0.113.7");
    expect(r.lines.filter((l) => l.includes('"uri":"/v1"')).at(-1)).toContain('"client":"203.0.113.7"');
  });

  test("v2, IPv4 and IPv6, even when the header arrives in pieces", async () => {
    const h = proxyV2(from("203.0.113.8"));
    const { responses } = await exchange(r.port, [
      h.subarray(0, 5),
      h.subarray(5, 20),
      Buffer.concat([h.subarray(20), Buffer.from(GET("/v2"))]),
    ]);
    expect(responses[0]!.status).toBe(200);
    expect(xff()).toBe("203.0.113.8");
    const six = await exchange(r.port, [proxyV2(from("2001:db8::5")), GET("/v2six")]);
    expect(six.responses[0]!.status).toBe(200);
    expect(xff()).toBe("2001:db8::5");
  });

  test("source rules and limits see the header's client", async () => {
    const inside = await exchange(r.port, proxyV1(from("198.51.100.9")) + GET("/office/x"));
    expect(inside.responses[0]!.status).toBe(200);
    const outside = await exchange(r.port, proxyV1(from("203.0.113.9")) + GET("/office/x"));
    expect(outside.responses[0]!.status).toBe(403);
    const st = async (ip: string) =>
      (await exchange(r.port, proxyV1(from(ip)) + GET("/once"))).responses[0]!.status;
    expect([await st("192.0.2.1"), await st("192.0.2.1"), await st("192.0.2.2")]).toEqual([200, 429, 200]);
  });

  test("a missing or malformed header closes the connection, counted; no server sees it", async () => {
    const before = b.requests.length;
    for (const wire of [
      GET("/plain"),
      "PROXY TCP4 1.2.3 127.0.0.1 1 2\r\n" + GET("/bad"),
      "PROXY TCP4 " + "9".repeat(200),
    ]) {
      const x = await exchange(r.port, wire, { timeoutMs: 1000 });
      expect(x.responses).toEqual([]);
      expect(x.closed).toBe(true);
    }
    expect(b.requests.length).toBe(before);
    expect(r.cluster.counters.get("reject.proxy_header")).toBe(3);
  });
});

test("a direct connection from a source not in accept_proxy is refused", async () => {
  const b = new TestBackend("b");
  const r = await rig({ web: [b] }, { accept_proxy: ["10.0.0.0/8"] });
  try {
    const x = await exchange(r.port, proxyV1(from("203.0.113.7")) + GET("/"), { timeoutMs: 1000 });
    expect(x.responses).toEqual([]);
    expect(x.closed).toBe(true);
    expect(b.requests.length).toBe(0);
    expect(r.cluster.counters.get("reject.proxy_source")).toBe(1);
  } finally {
    await r.stop();
  }
});

describe("parseProxyHeader", () => {
  test("v1 and v2 as proxy-protocol.ts writes them; UNKNOWN and LOCAL keep the socket's address", () => {
    const v1 = Buffer.from(proxyV1(from("203.0.113.7", 4000)));
    expect(parseProxyHeader(v1)).toEqual({ state: "done", used: v1.length, ip: "203.0.113.7", port: 4000 });
    expect(parseProxyHeader(v1.subarray(0, 10))).toEqual({ state: "more" });
    const v2 = proxyV2(from("2001:db8::1", 7));
    expect(parseProxyHeader(v2)).toEqual({ state: "done", used: v2.length, ip: "2001:db8::1", port: 7 });
    expect(parseProxyHeader(Buffer.from("PROXY UNKNOWN\r\n"))).toEqual({ state: "done", used: 15 });
    const local = proxyV2({ srcIp: "x", srcPort: 0, dstIp: "y", dstPort: 0 });
    expect(parseProxyHeader(local)).toEqual({ state: "done", used: 16 });
  });
  test("malformed headers are refused", () => {
    for (const bad of [
      "GET / HTTP/1.1\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n",
      "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",
    ])
      expect(parseProxyHeader(Buffer.from(bad)).state).toBe("bad");
    const v2 = proxyV2(from("203.0.113.7"));
    v2[12] = 0x11;
    expect(parseProxyHeader(v2).state).toBe("bad");
  });
});
