// Rule actions and modifiers through a real listener and real servers: redirect (each placeholder),
// deny with `not`, return, request and response headers set and deleted (rule and virtual server),
// rewrite_path, error pages, and the access log's rule number and termination reason.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { exchange, GET, type Rig, rig, TestBackend } from "./helpers.ts";

describe("rule actions", () => {
  let r: Rig;
  let api: TestBackend;
  let web: TestBackend;
  beforeAll(async () => {
    web = new TestBackend("web", () => ({ headers: { Server: "nginx", "X-Keep": "1" } }));
    api = new TestBackend("api", () => ({ headers: { Server: "nginx", "Cache-Control": "public" } }));
    r = await rig(
      { web: [web], api: [api] },
      {
        access_log: true,
        error_pages: { 403: { file: "403.html", body: "<h1>no</h1>" } },
        set_response_header: [["Strict-Transport-Security", "max-age=31536000"]],
        rule: [
          {
            path_prefix: "/old/",
            redirect: "https://{host}/new{path}?was={query}&uri={uri}",
            redirect_status: 301,
          },
          { path_prefix: "/go", redirect: "/elsewhere" },
          { path_prefix: "/admin/", not: { source: ["10.0.0.0/8"] }, deny: 403 },
          { path_prefix: "/local/", not: { source: ["127.0.0.0/8"] }, deny: 403 },
          { path: "/ping", return: { status: 200, body: "pong\n", content_type: "text/plain" } },
          {
            path: "/utf8",
            return: { status: 200, body: "caf\u00e9 \u2713", content_type: "text/plain; charset=utf-8" },
          },
          {
            path_prefix: "/api/",
            pool: "api",
            rewrite_path: { regex: "^/api(/.*)$", replace: "$1" },
            set_header: [["X-Api", "1"]],
            del_header: ["cookie"],
            set_response_header: [["Cache-Control", "no-store"]],
            del_response_header: ["server"],
          },
        ],
      },
    );
  });
  afterAll(async () => {
    await r.stop();
  });

  test("a redirect fills {host} {path} {query} {uri}; the status is redirect_status (302 without)", async () => {
    const { responses } = await exchange(
      r.port,
      "GET /old/a/b?x=1&y=2 HTTP/1.1\r\nHost: site.example:8080\r\n\r\n",
    );
    expect(responses[0]!.status).toBe(301);
    expect(responses[0]!.headers.location).toBe(
      "https://site.example:8080/new/old/a/b?was=x=1&y=2&uri=/old/a/b?x=1&y=2",
    );
    const plain = await exchange(r.port, GET("/go"));
    expect(plain.responses[0]!.status).toBe(302);
    expect(plain.responses[0]!.headers.location).toBe("/elsewhere");
    expect(web.requests.some((q) => q.target.startsWith("/old") || q.target === "/go")).toBe(false);
  });

  test("a return body beyond ASCII goes as UTF-8 bytes with their length", async () => {
    const x = await exchange(r.port, GET("/utf8"));
    expect(x.responses[0]!.headers["content-length"]).toBe(String(Buffer.byteLength("caf\u00e9 \u2713")));
    expect(Buffer.from(x.responses[0]!.body, "latin1").toString("utf8")).toBe("caf\u00e9 \u2713");
  });

  test("deny with not = { source }: refused from outside the network, forwarded from inside", async () => {
    const denied = await exchange(r.port, GET("/admin/x"));
    expect(denied.responses[0]!.status).toBe(403);
    // The error page replaces the built-in body.
    expect(denied.responses[0]!.body).toBe("<h1>no</h1>");
    expect(denied.responses[0]!.headers["content-type"]).toBe("text/html");
    expect(web.requests.some((q) => q.target === "/admin/x")).toBe(false);
    const inside = await exchange(r.port, GET("/local/x"));
    expect(inside.responses[0]!.status).toBe(200);
    expect(web.requests.some((q) => q.target === "/local/x")).toBe(true);
  });

  test("return answers without a server", async () => {
    const before = web.requests.length + api.requests.length;
    const { responses } = await exchange(r.port, GET("/ping"));
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.body).toBe("pong\n");
    expect(responses[0]!.headers["content-type"]).toBe("text/plain");
    expect(web.requests.length + api.requests.length).toBe(before);
  });

  test("return and redirect keep the connection for the next requests (pipelined too); a body closes it", async () => {
    const x = await exchange(r.port, GET("/ping") + GET("/go") + GET("/page"), { count: 3 });
    expect(x.responses.map((y) => y.status)).toEqual([200, 302, 200]);
    expect(x.responses[0]!.headers.connection).toBeUndefined();
    expect(x.responses[2]!.body).toContain("hello from web /page");
    expect(x.closed).toBe(false);
    const old = await exchange(r.port, "GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    expect(old.responses[0]!.headers.connection).toBe("keep-alive");
    const post = await exchange(r.port, "POST /ping HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc", {
      count: 2,
      timeoutMs: 1000,
    });
    expect(post.responses[0]!.body).toBe("pong\n");
    expect(post.responses[0]!.headers.connection).toBe("close");
    expect(post.closed).toBe(true);
  });

  test("rewrite_path and request headers set and deleted reach the server; response headers are edited", async () => {
    const { responses } = await exchange(
      r.port,
      GET("/api/users?id=7", "Cookie: sid=secret\r\nX-Api: client\r\nAccept: */*\r\n"),
    );
    const q = api.requests.at(-1)!;
    expect(q.target).toBe("/users?id=7");
    const h = (n: string) => q.names.flatMap((x, i) => (x === n ? [q.values[i]] : []));
    expect(h("cookie")).toEqual([]);
    expect(h("x-api")).toEqual(["1"]);
    expect(h("accept")).toEqual(["*/*"]);
    expect(h("host")).toEqual(["t.example"]);
    const res = responses[0]!;
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers.server).toBeUndefined();
    // The virtual server's own response header applies under the rule's.
    expect(res.headers["strict-transport-security"]).toBe("max-age=31536000");
  });

  test("the virtual server's response header applies to the default pool; other fields pass", async () => {
    const { responses } = await exchange(r.port, GET("/page"));
    expect(responses[0]!.headers["strict-transport-security"]).toBe("max-age=31536000");
    expect(responses[0]!.headers.server).toBe("nginx");
    expect(responses[0]!.headers["x-keep"]).toBe("1");
  });

  test("the access log carries the rule number and term=denied for a refusal", async () => {
    await exchange(r.port, GET("/admin/y"));
    await exchange(r.port, GET("/api/z"));
    const line = (uri: string) => r.lines.filter((l) => l.includes(`"uri":"${uri}"`)).at(-1) ?? "";
    expect(line("/admin/y")).toMatch(/"term":"denied"/);
    expect(line("/admin/y")).toMatch(/"rule":3/);
    expect(line("/api/z")).toMatch(/"rule":7/);
    expect(line("/api/z")).not.toMatch(/"term"/);
  });
});
