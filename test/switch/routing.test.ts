// Every matcher routes to its pool through real sockets; first match wins; no match -> default pool.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RuleConfig } from "../../core/config/types.ts";
import { exchange, type Rig, rig, TestBackend } from "./helpers.ts";

const rules: RuleConfig[] = [
  { path: "/exact", pool: "p_path" },
  { path_prefix: "/static/", pool: "p_prefix" },
  { path_regex: "^/user/([0-9]+)$", hash_capture: 1, pool: "p_regex" },
  { host: "api.example", pool: "p_host" },
  { host: "*.wild.example", pool: "p_wild" },
  { method: ["DELETE"], pool: "p_method" },
  { header: { name: "X-Canary", regex: "^yes$" }, pool: "p_header" },
  { cookie: { name: "beta", regex: "^1$" }, pool: "p_cookie" },
  { query: { name: "v", regex: "^2$" }, pool: "p_query" },
  { source: ["10.0.0.0/8"], pool: "p_nowhere" },
  { source: ["127.0.0.0/8"], path_prefix: "/local", pool: "p_source" },
];

describe("content rules", () => {
  let r: Rig;
  const names = ["def", ...rules.map((x) => x.pool!)];
  beforeAll(async () => {
    const pools: Record<string, TestBackend[]> = {};
    for (const n of names) pools[n === "def" ? "web" : n] = [new TestBackend(n)];
    r = await rig(pools, { rule: rules });
  });
  afterAll(async () => {
    await r.stop();
  });

  const cases: Array<[string, string, string]> = [
    ["path exact", "GET /exact HTTP/1.1\r\nHost: x\r\n\r\n", "p_path"],
    ["path exact does not match a longer path", "GET /exactly HTTP/1.1\r\nHost: x\r\n\r\n", "def"],
    ["path prefix", "GET /static/a.css HTTP/1.1\r\nHost: x\r\n\r\n", "p_prefix"],
    ["path regex", "GET /user/42 HTTP/1.1\r\nHost: x\r\n\r\n", "p_regex"],
    ["host exact (case and port ignored)", "GET / HTTP/1.1\r\nHost: API.example:8080\r\n\r\n", "p_host"],
    ["host wildcard", "GET / HTTP/1.1\r\nHost: a.b.wild.example\r\n\r\n", "p_wild"],
    ["host wildcard needs a label", "GET / HTTP/1.1\r\nHost: wild.example\r\n\r\n", "def"],
    ["method", "DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n", "p_method"],
    ["header with regex", "GET / HTTP/1.1\r\nHost: x\r\nX-Canary: yes\r\n\r\n", "p_header"],
    ["header regex mismatch", "GET / HTTP/1.1\r\nHost: x\r\nX-Canary: no\r\n\r\n", "def"],
    ["cookie", "GET / HTTP/1.1\r\nHost: x\r\nCookie: a=b; beta=1\r\n\r\n", "p_cookie"],
    ["query parameter", "GET /q?a=1&v=2 HTTP/1.1\r\nHost: x\r\n\r\n", "p_query"],
    ["source CIDR", "GET /local/x HTTP/1.1\r\nHost: x\r\n\r\n", "p_source"],
    ["first match wins", "GET /exact HTTP/1.1\r\nHost: api.example\r\n\r\n", "p_path"],
    ["default pool", "GET /other HTTP/1.1\r\nHost: x\r\n\r\n", "def"],
  ];
  for (const [name, wire, want] of cases) {
    test(name, async () => {
      const x = await exchange(r.port, wire, { method: wire.split(" ")[0] });
      expect(x.responses[0]?.status).toBe(200);
      expect(x.responses[0]?.body.startsWith(`hello from ${want} `)).toBe(true);
    });
  }
});

test("a path_regex capture group becomes the scheduler's hash key", async () => {
  const b = new TestBackend("b");
  const r = await rig(
    { web: [b] },
    { rule: [{ path_regex: "^/u/(?<id>[a-z]+)/", hash_capture: "id", pool: "web" }] },
  );
  const keys: Array<string | undefined> = [];
  const ps = r.cluster.pools.get("web")!;
  // Swap in a scheduler that records what it is given.
  (r.sw as unknown as { schedFor: (p: string) => unknown }).schedFor = () => ({
    name: "spy",
    update() {},
    pick(ctx: { hashKey?: string }) {
      keys.push(ctx.hashKey);
      return ps.servers[0];
    },
  });
  await exchange(
    r.port,
    "GET /u/alice/profile HTTP/1.1\r\nHost: x\r\n\r\nGET /other HTTP/1.1\r\nHost: x\r\n\r\n",
    { count: 2 },
  );
  expect(keys).toEqual(["alice", undefined]);
  await r.stop();
});
