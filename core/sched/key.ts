// What the hashing schedulers hash. A rule's capture group (ctx.hashKey) always wins; otherwise the
// pool's `key` option picks a part of the request. Hashing walks the strings in place: no
// concatenation, no substrings, so a pick allocates nothing.

import type { PickContext } from "./types.ts";
import { fmix32, fnvInt, fnvRange, fnvStart, fnvString } from "./hash.ts";

export type KeyKind =
  | "source"
  | "source_port"
  | "host"
  | "uri"
  | "path"
  | "host_path"
  | "host_uri"
  | "capture"
  | "header"
  | "cookie"
  | "param";

export interface KeySpec {
  kind: KeyKind;
  /** Header, cookie or query parameter name. */
  name: string;
}

const SIMPLE: readonly KeyKind[] = [
  "source",
  "source_port",
  "host",
  "uri",
  "path",
  "host_path",
  "host_uri",
  "capture",
];
const NAMED: readonly KeyKind[] = ["header", "cookie", "param"];

export const KEY_FORMS = [...SIMPLE, "header:NAME", "cookie:NAME", "param:NAME"].join(", ");

/** Parse a `key` option; returns an error message for bad input. */
export function parseKey(text: string): KeySpec | string {
  const colon = text.indexOf(":");
  if (colon < 0) {
    if ((SIMPLE as readonly string[]).includes(text)) return { kind: text as KeyKind, name: "" };
  } else {
    const kind = text.slice(0, colon);
    const name = text.slice(colon + 1);
    if ((NAMED as readonly string[]).includes(kind) && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      return { kind: kind as KeyKind, name: kind === "header" ? name.toLowerCase() : name };
    }
  }
  return `Use one of ${KEY_FORMS} for option "key": got "${text}"`;
}

function hashSource(h: number, ctx: PickContext): number {
  return fnvString(h, ctx.sourceIp);
}

function queryStart(uri: string): number {
  const q = uri.indexOf("?");
  return q < 0 ? uri.length : q;
}

/** Hash the value of query parameter `name` in `uri`; NaN when it is absent. */
function hashParam(h: number, uri: string, name: string): number {
  let i = queryStart(uri) + 1;
  const end = uri.length;
  while (i < end) {
    let amp = uri.indexOf("&", i);
    if (amp < 0) amp = end;
    if (amp - i > name.length && uri.charCodeAt(i + name.length) === 61 && uri.startsWith(name, i)) {
      return fnvRange(h, uri, i + name.length + 1, amp, false);
    }
    i = amp + 1;
  }
  return Number.NaN;
}

/**
 * Unsigned 32-bit hash of the request's key under `spec`, seeded. When the chosen part is missing
 * (no HTTP, header absent) the source address is hashed instead, so a client still sticks.
 */
export function keyHash(ctx: PickContext, spec: KeySpec, seed: number): number {
  const start = fnvStart(seed);
  if (ctx.hashKey !== undefined) return fmix32(fnvString(start, ctx.hashKey));
  const http = ctx.http;
  // NaN marks "the chosen part is missing" (an FNV state is always an integer).
  let h = Number.NaN;
  switch (spec.kind) {
    case "source":
    case "capture":
      break;
    case "source_port":
      h = fnvInt(hashSource(start, ctx), ctx.sourcePort);
      break;
    case "host":
      if (http) h = fnvRange(start, http.host, 0, http.host.length, true);
      break;
    case "uri":
      if (http) h = fnvString(start, http.uri);
      break;
    case "path":
      if (http) h = fnvRange(start, http.uri, 0, queryStart(http.uri), false);
      break;
    case "host_path":
      if (http) {
        h = fnvRange(start, http.host, 0, http.host.length, true);
        h = fnvRange(h, http.uri, 0, queryStart(http.uri), false);
      }
      break;
    case "host_uri":
      if (http) h = fnvString(fnvRange(start, http.host, 0, http.host.length, true), http.uri);
      break;
    case "header": {
      const v = http?.header(spec.name);
      if (v !== undefined) h = fnvString(start, v);
      break;
    }
    case "cookie": {
      const v = http?.cookie(spec.name);
      if (v !== undefined) h = fnvString(start, v);
      break;
    }
    case "param":
      if (http) h = hashParam(start, http.uri, spec.name);
      break;
  }
  if (Number.isNaN(h)) h = hashSource(start, ctx);
  return fmix32(h);
}

/** A 52-bit number key (two independent 32-bit hashes) for Map tables: collisions are negligible. */
export function keyId(ctx: PickContext, spec: KeySpec): number {
  const hi = keyHash(ctx, spec, 0x5bd1e995) & 0xfffff;
  return hi * 4294967296 + keyHash(ctx, spec, 0);
}

/** The `key` option of a validated options table, or `dflt`. */
export function keyOption(options: Record<string, unknown>, dflt: string): KeySpec {
  const v = options["key"];
  const k = parseKey(typeof v === "string" ? v : dflt);
  return typeof k === "string" ? (parseKey(dflt) as KeySpec) : k;
}

/** `key` option shared by the hashing schedulers, with their own default. */
export function keyOptionSpec(dflt: string): { type: "key"; default: string; doc: string } {
  return { type: "key", default: dflt, doc: `what to hash: ${KEY_FORMS}` };
}
