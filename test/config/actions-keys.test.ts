// The keys of issue 18 as the config file writes them: one action per rule, header modifiers that
// refuse framing fields, `not`, error pages read at load, limits and their rates, accept_proxy.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRate } from "../../core/config/actions-schema.ts";
import { ConfigError, parseConfig } from "../../core/config/load.ts";

const vs = (lines: string) => `[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8080"]
pool = "app"
${lines}
[pool.app]
  [[pool.app.server]]
  address = "127.0.0.1:9000"
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, "t.toml");
  } catch (e) {
    if (e instanceof ConfigError)
      return e.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe("rule actions", () => {
  test("a rule has exactly one action", () => {
    expect(problems(vs('[[virtual_server.rule]]\npath = "/"\npool = "app"\ndeny = 403'))).toEqual([
      "8:1 virtual_server[0].rule[0].deny: a rule has one action, not pool and deny: split it into two rules",
    ]);
    expect(problems(vs('[[virtual_server.rule]]\npath = "/"'))[0]).toContain(
      "a rule needs one action: pool, redirect, deny or return",
    );
  });

  test("redirect, deny, return and not are read", () => {
    const c = parseConfig(
      vs(`[[virtual_server.rule]]
redirect = "https://{host}{uri}"
redirect_status = 301
[[virtual_server.rule]]
path_prefix = "/admin/"
not = { source = "10.0.0.0/8" }
deny = 403
[[virtual_server.rule]]
path = "/ping"
return = { status = 200, body = "pong\\n" }`),
      "t.toml",
    ).virtual_server[0]!;
    expect(c.rule[0]!.redirect_status).toBe(301);
    expect(c.rule[1]!.not).toEqual({ source: ["10.0.0.0/8"] });
    expect(c.rule[2]!.return).toEqual({ status: 200, body: "pong\n", content_type: "text/plain" });
  });

  test("a bad redirect_status and a bad source in not are refused at their line", () => {
    expect(problems(vs('[[virtual_server.rule]]\nredirect = "/x"\nredirect_status = 304'))[0]).toMatch(
      /^7:1 virtual_server\[0\].rule\[0\].redirect_status: invalid redirect_status number 304/,
    );
    expect(problems(vs('[[virtual_server.rule]]\ndeny = 403\nnot = { source = "10.0.0.0/33" }'))[0]).toMatch(
      /^7:\d+ virtual_server\[0\].rule\[0\].not.source\[0\]/,
    );
  });
});

describe("header modifiers", () => {
  test("framing and hop-by-hop fields cannot be set or deleted, on a rule or on the virtual server", () => {
    expect(
      problems(vs('[[virtual_server.rule]]\npool = "app"\nset_header = { "Content-Length" = "0" }')),
    ).toEqual([
      '7:16 virtual_server[0].rule[0].set_header.Content-Length: header "Content-Length" frames the message or is hop-by-hop: it cannot be set or deleted',
    ]);
    expect(problems(vs('del_response_header = ["Server", "Transfer-Encoding"]'))).toEqual([
      '5:34 virtual_server[0].del_response_header[1]: header "Transfer-Encoding" frames the message or is hop-by-hop: it cannot be set or deleted',
    ]);
    for (const n of ["Host", "Connection", "Upgrade", "Keep-Alive", "TE"])
      expect(problems(vs(`set_header = { "${n}" = "x" }`)).length).toBe(1);
    expect(
      problems(vs('set_response_header = { "Strict-Transport-Security" = "max-age=31536000" }')),
    ).toEqual([]);
  });
});

describe("error_pages", () => {
  test("read at load; a missing file is an error at its line", () => {
    const dir = mkdtempSync(join(tmpdir(), "tcpvs-pages-"));
    const f = join(dir, "503.html");
    writeFileSync(f, "<h1>down</h1>");
    const c = parseConfig(vs(`error_pages = { 503 = "${f}" }`), "t.toml").virtual_server[0]!;
    expect(c.error_pages[503]?.body).toBe("<h1>down</h1>");
    expect(problems(vs(`error_pages = { 502 = "${dir}/nope.html" }`))[0]).toMatch(
      /^5:\d+ virtual_server\[0\].error_pages.502: cannot read error page ".*nope.html": ENOENT/,
    );
    expect(problems(vs(`error_pages = { 200 = "${f}" }`))[0]).toContain('invalid status "200"');
  });
});

describe("limits", () => {
  test("rate, key and matchers", () => {
    expect(parseRate("20/10s")).toEqual({ ok: true, value: { count: 20, ms: 10_000 } });
    expect(parseRate("5/s")).toEqual({ ok: true, value: { count: 5, ms: 1000 } });
    expect(parseRate("5").ok).toBe(false);
    expect(parseRate("0/1s").ok).toBe(false);
    const c = parseConfig(
      vs(
        '[[virtual_server.limit]]\nkey = "header:X-Api-Key"\nrate = "20/10s"\nburst = 5\npath_prefix = "/login"',
      ),
      "t.toml",
    ).virtual_server[0]!;
    expect(c.limit[0]).toMatchObject({
      key: "header:X-Api-Key",
      rate: { count: 20, ms: 10_000 },
      burst: 5,
      max_keys: 100_000,
      path_prefix: "/login",
    });
    expect(problems(vs('[[virtual_server.limit]]\nkey = "ip"\nrate = "1/s"'))[0]).toContain(
      'use "source", "header:NAME" or "cookie:NAME"',
    );
    expect(problems(vs('[[virtual_server.limit]]\nkey = "source"'))[0]).toContain(
      'missing required key "rate"',
    );
  });

  test("the HTTP-mode keys are refused on a TCP virtual server, at their line", () => {
    expect(problems(vs('mode = "tcp"\naccept_proxy = ["10.0.0.0/8"]'))).toEqual([
      '6:1 virtual_server[0].accept_proxy: accept_proxy works in HTTP mode only: remove it or set mode = "http"',
    ]);
  });

  test("accept_proxy takes CIDRs", () => {
    expect(
      parseConfig(vs('accept_proxy = ["10.0.0.0/8"]'), "t.toml").virtual_server[0]!.accept_proxy,
    ).toEqual(["10.0.0.0/8"]);
    expect(problems(vs('accept_proxy = ["10.0.0.0/40"]')).length).toBe(1);
  });
});
