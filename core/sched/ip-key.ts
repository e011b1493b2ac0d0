// Client address -> persistence key, masked to the pool's granularity, without allocating: IPv4 gives
// its masked 32-bit value; IPv6 (and anything unparseable) a 52-bit hash of the masked address, kept
// above 2^32 so the two families never collide. IPv4-mapped IPv6 ("::ffff:192.0.2.1") counts as IPv4.

import { type IpAddress, mapped16 } from "../net/ip.ts";
import { fmix32, fnvInt, fnvStart, fnvString } from "./hash.ts";

/** Groups 0-7 hold the parsed address; 8-15 the part after "::" while parsing. */
const scratch = new Uint16Array(16);

/** Parse dotted IPv4 in s[from, to) to an unsigned 32-bit value; -1 when malformed. */
function parseV4(s: string, from: number, to: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? s.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++parts > 4) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else return -1;
  }
  return parts === 4 ? value : -1;
}

/** Parse colon-separated hex groups of s[from, to) into scratch[at...]; the last may be dotted IPv4 when
 * the run ends the address (`tail`). */
function parseRun(s: string, from: number, to: number, at: number, tail: boolean): number {
  let n = 0;
  let i = from;
  while (i <= to) {
    let end = s.indexOf(":", i);
    if (end < 0 || end > to) end = to;
    if (end === i || n >= 8) return -1;
    if (tail && end === to && s.indexOf(".", i) >= 0 && s.indexOf(".", i) < to) {
      const v4 = parseV4(s, i, end);
      if (v4 < 0) return -1;
      scratch[at + n++] = v4 >>> 16;
      scratch[at + n++] = v4 & 0xffff;
      return n;
    }
    if (end - i > 4) return -1;
    let v = 0;
    for (let j = i; j < end; j++) {
      const c = s.charCodeAt(j) | 0x20;
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    scratch[at + n++] = v;
    i = end + 1;
  }
  return n;
}

/** Parse IPv6 into `groups`; returns the embedded IPv4 value when mapped, -2 when plain v6, -1 when bad. */
function parseV6(s: string): number {
  let end = s.indexOf("%");
  if (end < 0) end = s.length;
  scratch.fill(0);
  let gap = s.indexOf("::");
  if (gap >= end) gap = -1; // a "::" after the "%" is part of the zone
  if (gap < 0) {
    if (parseRun(s, 0, end, 0, true) !== 8) return -1;
  } else {
    const second = s.indexOf("::", gap + 1);
    if (second >= 0 && second < end) return -1;
    const left = gap === 0 ? 0 : parseRun(s, 0, gap, 0, false);
    const right = gap + 2 === end ? 0 : parseRun(s, gap + 2, end, 8, true);
    if (left < 0 || right < 0 || left + right > 7) return -1;
    for (let k = 0; k < right; k++) scratch[8 - right + k] = scratch[8 + k]!;
    for (let k = left; k < 8 - right; k++) scratch[k] = 0;
  }
  const g = scratch;
  const mapped = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
  return mapped ? g[6]! * 65536 + g[7]! : -2;
}

/** The key of an IPv6 address from its eight groups, masked to `v6Prefix` bits. */
function v6Key(g: ArrayLike<number>, v6Prefix: number): number {
  let h1 = fnvStart(1);
  let h2 = fnvStart(2);
  for (let k = 0; k < 8; k++) {
    const bits = Math.max(0, Math.min(16, v6Prefix - k * 16));
    const w = bits === 0 ? 0 : g[k]! & (0xffff << (16 - bits)) & 0xffff;
    h1 = fnvInt(h1, w);
    h2 = fnvInt(h2, w);
  }
  return (1 + (fmix32(h1) & 0xfffff)) * 4294967296 + fmix32(h2);
}

/** The key of text that is no address: hashed as a string, still above 2^32. */
function textKey(ip: string): number {
  const lo = fmix32(fnvString(fnvStart(3), ip));
  return (1 + (fmix32(fnvString(fnvStart(4), ip)) & 0xfffff)) * 4294967296 + lo;
}

/**
 * The persistence key of `ip` with an IPv4 netmask (as a number) and an IPv6 prefix length. This is the
 * allocation-free fast path of ipKeyOf(parseIp(ip)) (core/net/ip.ts is the parser); a test holds the two
 * equal on many random spellings. A zone is ignored, on any address.
 */
export function ipKey(ip: string, v4Mask: number, v6Prefix: number): number {
  const v4 = ip.indexOf(":") < 0 ? parseV4(ip, 0, ip.length) : parseV6(ip);
  if (v4 >= 0) return (v4 & v4Mask) >>> 0;
  if (v4 === -2) return v6Key(scratch, v6Prefix);
  return textKey(ip);
}

/** The same key from a parsed address (undefined: text that is no address, hashed as `text`). */
export function ipKeyOf(a: IpAddress | undefined, text: string, v4Mask: number, v6Prefix: number): number {
  if (!a) return textKey(text);
  const b = mapped16(a);
  const g: number[] = [];
  for (let k = 0; k < 8; k++) g.push((b[2 * k]! << 8) | b[2 * k + 1]!);
  const mapped = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
  if (mapped) return ((g[6]! * 65536 + g[7]!) & v4Mask) >>> 0;
  return v6Key(g, v6Prefix);
}

export interface Granularity {
  v4Mask: number;
  v6Prefix: number;
}

/**
 * Parse persistence_granularity: an IPv4 netmask ("255.255.255.0"), an IPv6 prefix length ("64" or
 * "/64"), or both separated by a comma or space. Empty = whole addresses. Error message on bad input.
 */
export function parseGranularity(text: string): Granularity | string {
  const out: Granularity = { v4Mask: 0xffffffff, v6Prefix: 128 };
  for (const part of text.split(/[\s,]+/)) {
    if (part === "") continue;
    if (part.includes(".")) {
      const m = parseV4(part, 0, part.length);
      const inv = ~m >>> 0;
      if (m < 0 || (inv & (inv + 1)) !== 0) {
        return `Use a contiguous IPv4 netmask such as "255.255.255.0" for persistence_granularity: got "${part}"`;
      }
      out.v4Mask = m;
    } else {
      const n = Number(part.startsWith("/") ? part.slice(1) : part);
      if (!Number.isInteger(n) || n < 1 || n > 128 || !/^\/?\d+$/.test(part)) {
        return `Use an IPv6 prefix length from 1 to 128 (such as "64") for persistence_granularity: got "${part}"`;
      }
      out.v6Prefix = n;
    }
  }
  return out;
}
