// Runs the parser over a wire text in one piece, byte by byte and in random-sized pieces, and checks the
// three give the same outcome before returning it.

import { expect } from "bun:test";
import type { RequestHead, ResponseHead } from "../../core/http/head.ts";
import { HttpParser, type ParserOptions } from "../../core/http/parser.ts";

export interface Outcome {
  error?: string;
  status?: number;
  heads: Array<RequestHead | ResponseHead>;
  bodies: string[];
  raw: string;
  trailers: string[][];
  ends: number;
}

function run(
  kind: "request" | "response",
  wire: string,
  pieces: number[],
  opts: ParserOptions,
  method?: string,
  eof = false,
): Outcome {
  const out: Outcome = { heads: [], bodies: [], raw: "", trailers: [], ends: 0 };
  let body = "";
  const p = new HttpParser(
    kind,
    {
      onHead: (h) => {
        out.heads.push(h);
      },
      onBody: (b, s, e) => {
        out.raw += b.toString("latin1", s, e);
      },
      onData: (b, s, e) => {
        body += b.toString("latin1", s, e);
      },
      onTrailers: (n, v) => {
        out.trailers.push(n.map((x, i) => `${x}: ${v[i]}`));
      },
      onEnd: () => {
        out.bodies.push(body);
        body = "";
        out.ends++;
      },
    },
    opts,
  );
  if (method) p.requestMethod = method;
  const bytes = Buffer.from(wire, "latin1");
  let at = 0;
  for (const n of pieces) {
    if (at >= bytes.length) break;
    const e = p.execute(bytes.subarray(at, at + n));
    at += n;
    if (e) {
      out.error = e.code;
      out.status = e.status;
      return out;
    }
  }
  if (at < bytes.length) {
    const e = p.execute(bytes.subarray(at));
    if (e) {
      out.error = e.code;
      out.status = e.status;
      return out;
    }
  }
  if (eof) {
    const e = p.finish();
    if (e) {
      out.error = e.code;
      out.status = e.status;
    }
  }
  return out;
}

function summary(o: Outcome): unknown {
  // Body bytes passed on before an error depend on where the pieces were cut; the verdict must not.
  if (o.error) return { error: o.error, heads: o.heads, ends: o.ends };
  return {
    error: o.error,
    heads: o.heads,
    bodies: o.bodies,
    raw: o.raw,
    trailers: o.trailers,
    ends: o.ends,
  };
}

/** Parse `wire`; asserts that whole, byte-by-byte and random splits agree. */
export function parse(
  kind: "request" | "response",
  wire: string,
  opts: ParserOptions = {},
  method?: string,
  eof = false,
): Outcome {
  const whole = run(kind, wire, [wire.length + 1], opts, method, eof);
  const bytewise = run(kind, wire, new Array(wire.length).fill(1), opts, method, eof);
  expect(summary(bytewise)).toEqual(summary(whole));
  let seed = wire.length * 7919 + 13;
  const rnd: number[] = [];
  for (let i = 0; i < wire.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    rnd.push(1 + (seed % 7));
  }
  const random = run(kind, wire, rnd, opts, method, eof);
  expect(summary(random)).toEqual(summary(whole));
  return whole;
}

export const req = (wire: string, opts: ParserOptions = {}) => parse("request", wire, opts);
export const res = (wire: string, method = "GET", eof = false) => parse("response", wire, {}, method, eof);
