// CIDR prefixes ("10.0.0.0/8", "2001:db8::/32", a bare address as /32 or /128) and matching an
// address against one. A prefix matches on any link, so it takes no zone. IPv4 prefixes also match
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d), which a dual-stack listener reports for IPv4 clients.

import type { Parsed } from "../errors/tcpvs-error.ts";
import { formatIp, type IpAddress, mapped16, parseIp, readIp } from "./ip.ts";

export interface Cidr {
  /** The address as written (its host bits are kept: VIPs are written so, "10.0.0.100/24"). */
  address: IpAddress;
  /** 0-32 for IPv4, 0-128 for IPv6. */
  prefix: number;
}

/** The prefix, or why `text` is not one: a fragment to follow a location ("invalid CIDR ..."). */
export function readCidr(text: string): Parsed<Cidr> {
  const slash = text.indexOf("/");
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const a = readIp(addrText);
  if (!a.ok) return { ok: false, error: `invalid CIDR ${JSON.stringify(text)}: ${a.error}` };
  if (a.value.zone !== undefined) {
    return {
      ok: false,
      error: `invalid CIDR ${JSON.stringify(text)}: a prefix matches on any link and takes no zone; remove "%${a.value.zone}"`,
    };
  }
  const max = a.value.family === 4 ? 32 : 128;
  if (slash < 0) return { ok: true, value: { address: a.value, prefix: max } };
  const p = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
    return { ok: false, error: `invalid CIDR ${JSON.stringify(text)}: prefix must be 0-${max}` };
  }
  return { ok: true, value: { address: a.value, prefix: Number(p) } };
}

export function parseCidr(text: string): Cidr | undefined {
  const r = readCidr(text);
  return r.ok ? r.value : undefined;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.address)}/${c.prefix}`;
}

/** A matcher over 16-byte addresses, built once per prefix: the source rule runs it per request. */
export function cidrMatcher(c: Cidr): (ip: string | IpAddress) => boolean {
  const net = mapped16(c.address);
  const bits = c.address.family === 4 ? c.prefix + 96 : c.prefix;
  return (ip) => {
    const a = typeof ip === "string" ? parseIp(ip) : ip;
    if (!a) return false;
    const b = mapped16(a);
    let left = bits;
    for (let i = 0; i < 16 && left > 0; i++, left -= 8) {
      const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
      if ((b[i]! & mask) !== (net[i]! & mask)) return false;
    }
    return true;
  };
}

export function matchCidr(c: Cidr, ip: string | IpAddress): boolean {
  return cidrMatcher(c)(ip);
}
