// The Host check is hand-written (no regex on the hot path): compare it with the RFC 3986 grammar
// written as a regular expression, on chosen edge cases and on random strings of the interesting bytes.

import { describe, expect, test } from "bun:test";
import { HttpError } from "../../core/http/errors.ts";
import { DEFAULT_LIMITS, type RequestHead, scanHead } from "../../core/http/head.ts";

// uri-host [ ":" port ]: an IP literal in brackets or a reg-name (unreserved / sub-delims / "%").
const ORACLE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?$/;

function parseHost(value: string): { ok: true; host: string } | { ok: false; code: string } {
  const s = `GET / HTTP/1.1\r\nHost: ${value}\r\n`;
  try {
    const h = scanHead(s, true, "request", DEFAULT_LIMITS, s.length + 2) as RequestHead;
    return { ok: true, host: h.host };
  } catch (e) {
    if (e instanceof HttpError) return { ok: false, code: e.code };
    throw e;
  }
}

describe("Host field check", () => {
  const cases = [
    "example.com",
    "Example.COM",
    "a.b:8080",
    "a.b:",
    ":80",
    "",
    "[::1]",
    "[::1]:8080",
    "[FE80::1]",
    "[]",
    "[::1",
    "::1",
    "a b",
    "a@b",
    "a/b",
    "a:b",
    "a:80:90",
    "[::1]x",
    "[::1]:8x",
    "xn--bcher-kva.example",
    "%41.example",
    "a~b!c$d&e'f(g)h*i+j,k;l=m",
    "[1.2.3.4]",
    "[g::1]",
  ];
  for (const v of cases) {
    test(JSON.stringify(v), () => {
      const r = parseHost(v);
      const want = ORACLE.test(v);
      expect(r.ok).toBe(want);
      if (r.ok) expect(r.host).toBe(v.toLowerCase());
      else expect(r.code).toBe("bad_host");
    });
  }

  test("agrees with the grammar on 20,000 random strings", () => {
    const alphabet = "aZ09.-_~!$&'()*+,;=%:[]@/ ?#gG";
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 8;
    };
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      const len = rnd() % 10;
      let v = "";
      for (let j = 0; j < len; j++) v += alphabet[rnd() % alphabet.length];
      // Leading/trailing spaces are trimmed as optional whitespace before the check.
      v = v.trim();
      const r = parseHost(v);
      if (r.ok !== ORACLE.test(v)) throw new Error(`Host ${JSON.stringify(v)}: check says ${r.ok}`);
      if (r.ok) {
        accepted++;
        expect(r.host).toBe(v.toLowerCase());
      }
    }
    // Both verdicts were exercised.
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(19500);
  });
});
