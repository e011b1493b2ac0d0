// IPv4 and IPv6 addresses: the one parser and the one RFC 5952 formatter of tcpvs. Pure.
//
// THE ZONE RULE: an IPv6 address may carry a zone id ("fe80::1%eth0", RFC 4007/6874), which names the
// link a link-local address lives on. The parser keeps it in a separate `zone` field (never in the
// bytes) and accepts it only on a link-local unicast address (fe80::/10): anywhere else a zone is a
// mistake and is refused with the reason. Places that take their interface from elsewhere (VRRP
// addresses follow `interface`, CIDR prefixes match any link) refuse a zone themselves; places that
// open sockets keep it, since the kernel needs it to pick the link. Hash keys ignore it.

import { type Parsed, TcpvsError } from "../errors/tcpvs-error.ts";

export interface IpAddress {
  family: 4 | 6;
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
  /** The zone id of a link-local IPv6 address: an interface name or index. */
  zone?: string;
}

/** Text that is not an address: code bad_address. */
export class IpAddressError extends TcpvsError {
  declare readonly code: "bad_address";
  constructor(message: string) {
    super("bad_address", message);
    this.name = "IpAddressError";
  }
}

/** An interface name (IFNAMSIZ - 1 characters) or an interface index. */
const ZONE = /^[A-Za-z0-9_.-]{1,15}$/;

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

function isLinkLocalBytes(b: Uint8Array): boolean {
  return b.length === 16 && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** The address, or why `text` is not one: a fragment to follow `Cannot use "TEXT": `. */
export function readIp(text: string): Parsed<IpAddress> {
  const pct = text.indexOf("%");
  const addr = pct < 0 ? text : text.slice(0, pct);
  const notOne = { ok: false as const, error: `${JSON.stringify(text)} is not an IPv4 or IPv6 address` };
  if (!addr.includes(":")) {
    const bytes = parse4(addr);
    if (!bytes) return notOne;
    if (pct >= 0) return { ok: false, error: `an IPv4 address has no zone; remove "${text.slice(pct)}"` };
    return { ok: true, value: { family: 4, bytes } };
  }
  const bytes = parse6(addr);
  if (!bytes) return notOne;
  if (pct < 0) return { ok: true, value: { family: 6, bytes } };
  const zone = text.slice(pct + 1);
  if (!ZONE.test(zone)) {
    return {
      ok: false,
      error: `${JSON.stringify(`%${zone}`)} is not a zone; write an interface name such as "%eth0"`,
    };
  }
  if (!isLinkLocalBytes(bytes)) {
    return { ok: false, error: `a zone belongs only on a link-local (fe80::/10) address; remove "%${zone}"` };
  }
  return { ok: true, value: { family: 6, bytes, zone } };
}

/** The address, or undefined when `text` is not one (see readIp for the reason). */
export function parseIp(text: string): IpAddress | undefined {
  const r = readIp(text);
  return r.ok ? r.value : undefined;
}

/** The address; throws IpAddressError (bad_address) when `text` is not one. */
export function ipAddress(text: string): IpAddress {
  const r = readIp(text);
  if (!r.ok) throw new IpAddressError(`Cannot use ${JSON.stringify(text)} as an IP address: ${r.error}`);
  return r.value;
}

/** The 4 or 16 bytes of an address (a zone is dropped: bytes have none). */
export function ipBytes(text: string): Uint8Array {
  return ipAddress(text).bytes;
}

export function ipFamily(text: string): 4 | 6 | undefined {
  return parseIp(text)?.family;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of 2+ zero groups as "::", then %zone. */
export function formatIp(a: IpAddress | Uint8Array): string {
  const b = a instanceof Uint8Array ? a : a.bytes;
  const zone = a instanceof Uint8Array || a.zone === undefined ? "" : `%${a.zone}`;
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
  if (best < 0) return `${hex(w)}${zone}`;
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}${zone}`;
}

/** The canonical spelling of an address, zone kept (throws on a non-address). */
export function canonicalIp(text: string): string {
  return formatIp(ipAddress(text));
}

/** Byte order comparison: <0, 0, >0. An IPv4 address sorts before any IPv6 one; zones are ignored. */
export function compareIp(a: string, b: string): number {
  const x = ipBytes(a);
  const y = ipBytes(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

export function isLinkLocal6(text: string): boolean {
  const a = parseIp(text);
  return !!a && isLinkLocalBytes(a.bytes);
}

/** 16 bytes for either family (IPv4 as ::ffff:a.b.c.d), so one comparison serves both. */
export function mapped16(a: IpAddress): Uint8Array {
  if (a.family === 6) return a.bytes;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(a.bytes, 12);
  return out;
}

/** 127.0.0.0/8, ::1, or an IPv4-mapped 127.x: an address only this host can reach. */
export function isLoopback(a: IpAddress): boolean {
  const b = mapped16(a);
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  if (b[10] === 0xff && b[11] === 0xff) return b[12] === 127;
  return b[10] === 0 && b[11] === 0 && b[12] === 0 && b[13] === 0 && b[14] === 0 && b[15] === 1;
}

/** IPv4 as a host-order unsigned 32-bit number (sockaddr_in wants it so). */
export function ipv4Number(a: IpAddress): number {
  const b = a.bytes;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}
