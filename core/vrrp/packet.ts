// VRRP advertisement codec (RFC 3768 v2, RFC 5798 v3 over IPv4 and IPv6) and the receive-side checks
// that decide whether an incoming packet may reach the state machine. Pure: bytes in, values out.

import { canonicalIp, formatIp, ipBytes } from "../net/ip.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";

export const VRRP_PROTO = 112;
export const VRRP_GROUP = "224.0.0.18";
export const VRRP_GROUP6 = "ff02::12";
export const VRRP_TTL = 255;

export type DropReason =
  | "short"
  | "ttl"
  | "version"
  | "type"
  | "vrid"
  | "checksum"
  | "length"
  | "interval"
  | "auth"
  | "own"
  | "interface"
  | "addresses"
  /** check_unicast_src: the source is not one of the configured unicast peers. */
  | "peer";

export interface Advert {
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** Advertisement interval in ms (v2: whole seconds on the wire, v3: centiseconds). */
  intervalMs: number;
  addresses: string[];
  /** v2 only: 0 none, 1 simple password, 2 IP AH (refused). */
  authType?: number;
  /** v2 only: the 8 auth bytes as sent. */
  authData?: Uint8Array;
}

export class VrrpPacketError extends TcpvsError {
  declare readonly code: "bad_vrrp_packet";
  constructor(message: string) {
    super("bad_vrrp_packet", message);
    this.name = "VrrpPacketError";
  }
}

/** One's-complement sum of 16-bit words, not yet folded or inverted. */
function sum16(b: Uint8Array, acc = 0): number {
  let s = acc;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) s += b[b.length - 1]! << 8;
  return s;
}

function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return ~x & 0xffff;
}

/**
 * The pseudo-header a v3 checksum starts from: IPv4 (src, dst, zero, protocol, length: 12 bytes) or
 * IPv6 (src, dst, 32-bit upper-layer length, three zero bytes, next header: 40 bytes).
 */
export function pseudoHeader(src: string, dst: string, length: number): Uint8Array {
  const s = ipBytes(src);
  const d = ipBytes(dst);
  if (s.length !== d.length)
    throw new VrrpPacketError(`Use one address family for source "${src}" and destination "${dst}"`);
  if (s.length === 4) {
    const ph = new Uint8Array(12);
    ph.set(s, 0);
    ph.set(d, 4);
    ph[9] = VRRP_PROTO;
    new DataView(ph.buffer).setUint16(10, length);
    return ph;
  }
  const ph = new Uint8Array(40);
  ph.set(s, 0);
  ph.set(d, 16);
  new DataView(ph.buffer).setUint32(32, length);
  ph[39] = VRRP_PROTO;
  return ph;
}

/** Checksum of a VRRP message whose checksum field is taken as is (zero it to compute, keep it to verify). */
export function vrrpChecksum(msg: Uint8Array, pseudo?: { src: string; dst: string }): number {
  const s = pseudo ? sum16(pseudoHeader(pseudo.src, pseudo.dst, msg.length)) : 0;
  return fold(sum16(msg, s));
}

export interface EncodeOptions {
  /** Source and destination of the IP packet: v3 checksums include them unless noPseudoHeader. */
  src: string;
  dst: string;
  noPseudoHeader?: boolean;
  /** v2 simple password (up to 8 bytes); absent = no authentication. */
  authPass?: string;
}

export function encodeAdvert(a: Advert, o: EncodeOptions): Uint8Array {
  if (a.addresses.length > 255)
    throw new VrrpPacketError(`Use at most 255 addresses, not ${a.addresses.length}`);
  const addrs = a.addresses.map((ip) => addressBytes(ip));
  const w = addrs[0]?.length ?? 4;
  if (addrs.some((b) => b.length !== w))
    throw new VrrpPacketError(`Use addresses of one family in an advert, not "${a.addresses.join(", ")}"`);
  if (w === 16 && a.version === 2)
    throw new VrrpPacketError("Use VRRP version 3 for IPv6 addresses: version 2 is IPv4 only");
  const tail = a.version === 2 ? 8 : 0;
  const msg = new Uint8Array(8 + w * a.addresses.length + tail);
  const dv = new DataView(msg.buffer);
  msg[0] = (a.version << 4) | 1;
  msg[1] = a.vrid;
  msg[2] = a.priority;
  msg[3] = a.addresses.length;
  if (a.version === 2) {
    const secs = Math.round(a.intervalMs / 1000);
    if (secs < 1 || secs > 255 || secs * 1000 !== a.intervalMs) {
      throw new VrrpPacketError(
        `Use whole seconds (1-255) for a VRRPv2 advert interval, not ${a.intervalMs} ms`,
      );
    }
    msg[4] = o.authPass !== undefined ? 1 : 0;
    msg[5] = secs;
  } else {
    const cs = Math.round(a.intervalMs / 10);
    if (cs < 1 || cs > 0xfff) {
      throw new VrrpPacketError(`Use 10-40950 ms for a VRRPv3 advert interval, not ${a.intervalMs} ms`);
    }
    dv.setUint16(4, cs);
  }
  for (const [i, b] of addrs.entries()) msg.set(b, 8 + w * i);
  if (a.version === 2 && o.authPass !== undefined) {
    msg.set(passBytes(o.authPass), 8 + 4 * a.addresses.length);
  }
  const pseudo = a.version === 3 && !o.noPseudoHeader ? { src: o.src, dst: o.dst } : undefined;
  dv.setUint16(6, vrrpChecksum(msg, pseudo));
  return msg;
}

function addressBytes(ip: string): Uint8Array {
  try {
    return ipBytes(ip);
  } catch {
    throw new VrrpPacketError(`Use an IPv4 or IPv6 address instead of "${ip}"`);
  }
}

export function passBytes(pass: string): Uint8Array {
  const out = new Uint8Array(8);
  out.set(new TextEncoder().encode(pass).subarray(0, 8));
  return out;
}

export interface IpHeader {
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
  protocol: number;
  src: string;
  dst: string;
  /** The IP payload, cut to the header's total length. */
  payload: Uint8Array;
}

/** Split an IPv4 packet as a raw socket delivers it. */
export function parseIpv4(pkt: Uint8Array): IpHeader | undefined {
  if (pkt.length < 20 || pkt[0]! >> 4 !== 4) return undefined;
  const ihl = (pkt[0]! & 15) * 4;
  const dv = new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength);
  const total = dv.getUint16(2);
  if (ihl < 20 || total < ihl || total > pkt.length) return undefined;
  return {
    ttl: pkt[8]!,
    protocol: pkt[9]!,
    src: formatIp(pkt.subarray(12, 16)),
    dst: formatIp(pkt.subarray(16, 20)),
    payload: pkt.subarray(ihl, total),
  };
}

/**
 * Split an IPv6 packet whose next header is the payload's (no extension headers: VRRP adverts carry
 * none). Raw IPv6 sockets never hand over the header; this serves captures and tests.
 */
export function parseIpv6(pkt: Uint8Array): IpHeader | undefined {
  if (pkt.length < 40 || pkt[0]! >> 4 !== 6) return undefined;
  const len = new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength).getUint16(4);
  if (40 + len > pkt.length) return undefined;
  return {
    ttl: pkt[7]!,
    protocol: pkt[6]!,
    src: formatIp(pkt.subarray(8, 24)),
    dst: formatIp(pkt.subarray(24, 40)),
    payload: pkt.subarray(40, 40 + len),
  };
}

/** Decode a VRRP message without judging it (see validateAdvert); `family` sets the address width. */
export function decodeAdvert(msg: Uint8Array, family: 4 | 6 = 4): Advert | undefined {
  if (msg.length < 8) return undefined;
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const version = msg[0]! >> 4;
  if (version !== 2 && version !== 3) return undefined;
  if (version === 2 && family === 6) return undefined;
  const w = family === 4 ? 4 : 16;
  const count = msg[3]!;
  const need = 8 + w * count + (version === 2 ? 8 : 0);
  if (msg.length < need) return undefined;
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) addresses.push(formatIp(msg.subarray(8 + w * i, 8 + w * (i + 1))));
  if (version === 2) {
    return {
      version,
      vrid: msg[1]!,
      priority: msg[2]!,
      intervalMs: msg[5]! * 1000,
      addresses,
      authType: msg[4]!,
      authData: msg.slice(8 + 4 * count, 16 + 4 * count),
    };
  }
  return { version, vrid: msg[1]!, priority: msg[2]!, intervalMs: (dv.getUint16(4) & 0xfff) * 10, addresses };
}

export interface Expect {
  version: 2 | 3;
  vrid: number;
  intervalMs: number;
  addresses: string[];
  authPass?: string;
  noPseudoHeader?: boolean;
  /** Our own source addresses: adverts from them are our own echoes. */
  own: string[];
  /** check_unicast_src: only these sources may advertise (absent = anyone). */
  peers?: string[];
  /** True when the packet came through the multicast group (unicast peers keep any TTL). */
  multicast: boolean;
  /** Interface index the packet arrived on, and ours; unequal = another interface's traffic. */
  ifindex?: number;
  expectIfindex?: number;
}

export type Verdict = { ok: true; advert: Advert; src: string } | { ok: false; reason: DropReason };

/** Decide whether an IPv4 packet carrying VRRP is a valid advert for this instance, and why not. */
export function validateAdvert(pkt: Uint8Array, e: Expect): Verdict {
  const ip = parseIpv4(pkt);
  if (!ip) return { ok: false, reason: "short" };
  return validateVrrp(ip, e);
}

/**
 * The same checks on a packet already split into header fields: what an IPv6 raw socket yields (the
 * source from the peer address, the destination and hop limit from control messages).
 */
export function validateVrrp(ip: IpHeader, e: Expect): Verdict {
  if (ip.payload.length < 8) return { ok: false, reason: "short" };
  const family = ip.src.includes(":") ? 6 : 4;
  const w = family === 4 ? 4 : 16;
  if (e.ifindex !== undefined && e.expectIfindex !== undefined && e.ifindex !== e.expectIfindex) {
    return { ok: false, reason: "interface" };
  }
  if (e.own.some((o) => canon(o) === ip.src)) return { ok: false, reason: "own" };
  if (e.peers && !e.peers.some((p) => canon(p) === ip.src)) return { ok: false, reason: "peer" };
  if (e.multicast && ip.ttl !== VRRP_TTL) return { ok: false, reason: "ttl" };
  const msg = ip.payload;
  const version = msg[0]! >> 4;
  if (version !== e.version) return { ok: false, reason: "version" };
  if ((msg[0]! & 15) !== 1) return { ok: false, reason: "type" };
  if (msg[1] !== e.vrid) return { ok: false, reason: "vrid" };
  const count = msg[3]!;
  if (version === 2 && family === 6) return { ok: false, reason: "version" };
  if (msg.length < 8 + w * count + (version === 2 ? 8 : 0)) return { ok: false, reason: "length" };
  const pseudo = version === 3 && !e.noPseudoHeader ? { src: ip.src, dst: ip.dst } : undefined;
  if (vrrpChecksum(msg, pseudo) !== 0) return { ok: false, reason: "checksum" };
  const advert = decodeAdvert(msg, family);
  if (!advert) return { ok: false, reason: "length" };
  if (version === 2) {
    if (advert.intervalMs !== e.intervalMs) return { ok: false, reason: "interval" };
    const want = e.authPass !== undefined ? 1 : 0;
    if (advert.authType !== want) return { ok: false, reason: "auth" };
    if (want === 1 && !sameBytes(advert.authData!, passBytes(e.authPass!)))
      return { ok: false, reason: "auth" };
  }
  // keepalived refuses an advert whose address list differs from its own; a priority-0 resignation is
  // still honoured so a peer's shutdown is never missed.
  if (advert.priority !== 0 && !sameSet(advert.addresses, e.addresses))
    return { ok: false, reason: "addresses" };
  return { ok: true, advert, src: ip.src };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(b.map(canon));
  return a.every((x) => s.has(canon(x)));
}

function canon(ip: string): string {
  try {
    return canonicalIp(ip);
  } catch {
    return ip;
  }
}
