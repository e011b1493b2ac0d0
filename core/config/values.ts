// Parsers for the value syntaxes a config uses: durations, addresses, CIDRs. Each returns the value or
// a message saying what is wrong, so the validator can collect every problem before it reports.

import { isIP } from "node:net";
import type { Endpoint } from "./types.ts";

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "2s", "500ms", "1m30s", "1.5s" -> milliseconds. A bare number is refused: units are not guessed. */
export function parseDuration(text: unknown): Parsed<number> {
  if (typeof text !== "string") {
    return { ok: false, error: `expected a duration string such as "2s" or "500ms", got ${describe(text)}` };
  }
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text.length === 0 || matched !== text.length) {
    return {
      ok: false,
      error: `invalid duration "${text}": use a number with a unit (ms, s, m, h), e.g. "2s", "500ms", "1m30s"`,
    };
  }
  return { ok: true, value: Math.round(total) };
}

const UNIT_BYTES: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** 65536, "64KiB", "64MiB", "1.5GiB" -> bytes. Only binary units: "MB" would leave 1000 or 1024 to a guess. */
export function parseSize(v: unknown): Parsed<number> {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return { ok: true, value: v };
  const m = typeof v === "string" ? /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB)$/.exec(v) : null;
  if (!m) {
    return {
      ok: false,
      error: `invalid size ${typeof v === "string" ? `"${v}"` : describe(v)}: use a number of bytes or a number with a unit (B, KiB, MiB, GiB), e.g. "64MiB", "512KiB"`,
    };
  }
  return { ok: true, value: Math.round(Number(m[1]) * UNIT_BYTES[m[2]!]!) };
}

/** "10.0.0.1:80", "[::1]:80", "unix:/path"; `defaultPort` allows a bare host. */
export function parseEndpoint(text: unknown, defaultPort?: number): Parsed<Endpoint> {
  if (typeof text !== "string")
    return { ok: false, error: `expected an address string, got ${describe(text)}` };
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    if (!path.startsWith("/"))
      return { ok: false, error: `invalid unix socket address "${text}": the path must be absolute` };
    return { ok: true, value: { kind: "unix", path, text } };
  }
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0)
      return { ok: false, error: `invalid address "${text}": missing "]" after the IPv6 address` };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":"))
      return { ok: false, error: `invalid address "${text}": expected ":PORT" after "]"` };
    portText = rest === "" ? undefined : rest.slice(1);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0 && text.indexOf(":") !== colon) {
      return {
        ok: false,
        error: `invalid address "${text}": write IPv6 addresses in brackets, e.g. "[::1]:80"`,
      };
    }
    host = colon >= 0 ? text.slice(0, colon) : text;
    portText = colon >= 0 ? text.slice(colon + 1) : undefined;
  }
  const family = isIP(host);
  if (family === 0)
    return { ok: false, error: `invalid address "${text}": "${host}" is not an IPv4 or IPv6 address` };
  if (portText === undefined && defaultPort === undefined) {
    return {
      ok: false,
      error: `invalid address "${text}": a port is required, e.g. "${family === 6 ? `[${host}]` : host}:80"`,
    };
  }
  const port = portText === undefined ? defaultPort! : Number(portText);
  if (!/^\d+$/.test(portText ?? "0") || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { ok: false, error: `invalid address "${text}": port "${portText}" is not in 1-65535` };
  }
  return { ok: true, value: { kind: "inet", host, port, family: family as 4 | 6, text } };
}

/** "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). */
export function parseCidr(text: unknown): Parsed<{ address: string; prefix: number; family: 4 | 6 }> {
  if (typeof text !== "string") return { ok: false, error: `expected a CIDR string, got ${describe(text)}` };
  const [addr = "", prefixText] = text.split("/");
  const family = isIP(addr);
  if (family === 0) return { ok: false, error: `invalid CIDR "${text}": "${addr}" is not an IP address` };
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? "0") || prefix > max) {
    return { ok: false, error: `invalid CIDR "${text}": prefix must be 0-${max}` };
  }
  return { ok: true, value: { address: addr, prefix, family: family as 4 | 6 } };
}

export function describe(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  if (typeof v === "object") return "a table";
  if (typeof v === "string") return `the string "${v}"`;
  return `${typeof v} ${String(v)}`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** The closest candidate to `word`, if close enough to be a likely typo. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
