// Field names as the decoder lower-cases them. A common name is found by a hash of its lower-cased
// bytes, computed while the name is scanned, and costs no new string; the few names the decoder acts
// on get small numbers, so it switches on a number rather than comparing strings.

export const CONTENT_LENGTH = 0;
export const TRANSFER_ENCODING = 1;
export const CONNECTION = 2;
export const HOST = 3;
export const UPGRADE = 4;
export const EXPECT = 5;
/** Indices above this are names the decoder only keeps. */
export const LAST_ACTED_ON = EXPECT;

/** Lower-case; the first six in the order of the constants above. Fixed: no input adds to it. */
export const FIELD_NAMES: readonly string[] = [
  "content-length",
  "transfer-encoding",
  "connection",
  "host",
  "upgrade",
  "expect",
  // Request and response fields seen on most exchanges (browsers, API clients, CDNs, servers).
  "content-type",
  "keep-alive",
  "te",
  "trailer",
  "proxy-connection",
  "date",
  "server",
  "user-agent",
  "accept",
  "accept-encoding",
  "accept-language",
  "accept-charset",
  "accept-ranges",
  "cache-control",
  "pragma",
  "cookie",
  "set-cookie",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-real-ip",
  "forwarded",
  "via",
  "referer",
  "origin",
  "authorization",
  "proxy-authorization",
  "www-authenticate",
  "proxy-authenticate",
  "last-modified",
  "etag",
  "vary",
  "location",
  "content-encoding",
  "content-language",
  "content-disposition",
  "content-range",
  "expires",
  "age",
  "retry-after",
  "link",
  "if-modified-since",
  "if-unmodified-since",
  "if-none-match",
  "if-match",
  "if-range",
  "range",
  "x-request-id",
  "x-correlation-id",
  "x-requested-with",
  "x-powered-by",
  "x-content-type-options",
  "x-frame-options",
  "strict-transport-security",
  "content-security-policy",
  "referrer-policy",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-expose-headers",
  "access-control-max-age",
  "access-control-request-method",
  "access-control-request-headers",
  "sec-fetch-site",
  "sec-fetch-mode",
  "sec-fetch-dest",
  "sec-fetch-user",
  "sec-ch-ua",
  "sec-ch-ua-mobile",
  "sec-ch-ua-platform",
  "upgrade-insecure-requests",
  "priority",
  "dnt",
  "traceparent",
  "tracestate",
  "alt-svc",
  "server-timing",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
];

/** One step of the name hash over a lower-cased byte: the scanner and the table must agree. */
export function hashStep(h: number, c: number): number {
  return (Math.imul(h, 31) + c) | 0;
}

const BY_HASH = new Map<number, number>();
for (let i = 0; i < FIELD_NAMES.length; i++) {
  const n = FIELD_NAMES[i]!;
  let h = 0;
  for (let j = 0; j < n.length; j++) h = hashStep(h, n.charCodeAt(j));
  // Two names with one hash: the second would be built like an unknown name (correct, only slower);
  // test/http/field-names.test.ts keeps the list free of that.
  if (!BY_HASH.has(h)) BY_HASH.set(h, i);
}

/** The index in FIELD_NAMES of the name s[ls, end), whose lower-cased bytes hash to h; else -1. */
export function knownName(s: string, ls: number, end: number, h: number): number {
  const i = BY_HASH.get(h);
  if (i === undefined) return -1;
  const k = FIELD_NAMES[i]!;
  if (k.length !== end - ls) return -1;
  for (let j = 0; j < k.length; j++) {
    let c = s.charCodeAt(ls + j);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== k.charCodeAt(j)) return -1;
  }
  return i;
}

const LOWER: string[] = [];
for (let c = 97; c <= 122; c++) LOWER.push(String.fromCharCode(c));

/**
 * The name s[ls, end), lower-cased when `upper` says it has a capital. Built a letter at a time:
 * toLowerCase on a substring cost 120 ns where this costs 15 (Bun 1.4, a 3-letter name).
 */
export function lowerName(s: string, ls: number, end: number, upper: boolean): string {
  if (!upper) return s.slice(ls, end);
  let o = "";
  for (let i = ls; i < end; i++) {
    const c = s.charCodeAt(i);
    o += c >= 65 && c <= 90 ? LOWER[c - 65]! : s[i]!;
  }
  return o;
}
