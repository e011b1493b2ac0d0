// The config's view of the value syntaxes (durations, sizes, addresses, CIDRs), which core/net and core/units
// define once; here only the message for a value of the wrong TOML type is added.

import type { Parsed } from "../errors/tcpvs-error.ts";
import { readCidr as readNetCidr } from "../net/cidr.ts";
import { formatIp } from "../net/ip.ts";
import { readEndpoint } from "../net/endpoint.ts";
import { readDuration } from "../units/duration.ts";
import { readSize } from "../units/size.ts";
import type { Endpoint } from "./types.ts";

export type { Parsed };

/** "2s", "500ms", "1m30s" -> milliseconds; a bare number is refused (core/units/duration.ts). */
export function parseDuration(text: unknown): Parsed<number> {
  if (typeof text !== "string" && typeof text !== "number") {
    return { ok: false, error: `expected a duration string such as "2s" or "500ms", got ${describe(text)}` };
  }
  return readDuration(text);
}

/** 65536, "64KiB", "64MiB", "1.5GiB" -> bytes (core/units/size.ts). */
export function parseSize(v: unknown): Parsed<number> {
  return readSize(v);
}

/** "10.0.0.1:80", "[::1]:80", "unix:/path"; `defaultPort` allows a bare host (core/net/endpoint.ts). */
export function parseEndpoint(text: unknown, defaultPort?: number): Parsed<Endpoint> {
  if (typeof text !== "string")
    return { ok: false, error: `expected an address string, got ${describe(text)}` };
  return readEndpoint(text, defaultPort);
}

/** "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128); the address comes back canonical. */
export function parseCidr(text: unknown): Parsed<{ address: string; prefix: number; family: 4 | 6 }> {
  if (typeof text !== "string") return { ok: false, error: `expected a CIDR string, got ${describe(text)}` };
  const r = readNetCidr(text);
  if (!r.ok) return r;
  return {
    ok: true,
    value: { address: formatIp(r.value.address), prefix: r.value.prefix, family: r.value.address.family },
  };
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
