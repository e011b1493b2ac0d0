// IPv4 and IPv6 addresses as bytes and back, for the VRRP codec and the tie-break on primary addresses.
// Pure. Text out is canonical (RFC 5952 for IPv6: lower case, no leading zeros, the longest run of two or
// more zero groups shortened to "::"), so two spellings of one address compare equal as strings.

import { TcpvsError } from "../errors/tcpvs-error.ts";

export class IpAddressError extends TcpvsError {
  declare readonly code: "bad_address";
  constructor(message: string) {
    super("bad_address", message);
    this.name = "IpAddressError";
  }
}

function parse4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (const [i, p] of parts.entries()) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

/** Groups of one side of "::" (may end with a dotted IPv4 tail, which counts as two groups). */
function groups(side: string, last: boolean): number[] | undefined {
  if (side === "") return [];
  const words = side.split(":");
  const out: number[] = [];
  for (const [i, w] of words.entries()) {
    if (last && i === words.length - 1 && w.includes(".")) {
      const v4 = parse4(w);
      if (!v4) return undefined;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(w)) out.push(Number.parseInt(w, 16));
    else return undefined;
  }
  return out;
}

function parse6(s: string): Uint8Array | undefined {
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  let words: number[];
  if (halves.length === 2) {
    const head = groups(halves[0]!, false);
    const tail = groups(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = groups(s, true);
    if (all?.length !== 8) return undefined;
    words = all;
  }
  const out = new Uint8Array(16);
  for (const [i, w] of words.entries()) {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 255;
  }
  return out;
}

/** 4 bytes for IPv4, 16 for IPv6, undefined for anything else (zone ids "%eth0" included). */
export function parseIp(s: string): Uint8Array | undefined {
  return s.includes(":") ? parse6(s) : parse4(s);
}

export function ipBytes(s: string): Uint8Array {
  const b = parseIp(s);
  if (!b) throw new IpAddressError(`Use an IPv4 or IPv6 address instead of "${s}"`);
  return b;
}

export function ipFamily(s: string): 4 | 6 | undefined {
  const b = parseIp(s);
  return b ? (b.length === 4 ? 4 : 6) : undefined;
}

export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new IpAddressError(`Give 4 or 16 address bytes, not ${b.length}`);
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** The canonical spelling of an address (throws on a non-address). */
export function canonicalIp(s: string): string {
  return formatIp(ipBytes(s));
}

/** Byte order comparison: <0, 0, >0. An IPv4 address sorts before any IPv6 one. */
export function compareIp(a: string, b: string): number {
  const x = ipBytes(a);
  const y = ipBytes(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

export function isLinkLocal6(s: string): boolean {
  const b = parseIp(s);
  return !!b && b.length === 16 && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}
