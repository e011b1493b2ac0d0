// A minimal DNS message codec for the check: build one query, read the header and answers of a reply
// (RFC 1035 wire format, with name compression on the read side). Pure.

import { TcpvsError } from "../errors/tcpvs-error.ts";
import { formatIp } from "../net/ip.ts";

export const RECORD_TYPES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  ANY: 255,
};

export const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

export class DnsError extends TcpvsError {
  declare readonly code: "bad_dns_message";
  constructor(message: string) {
    super("bad_dns_message", message);
    this.name = "DnsError";
  }
}

export function recordType(name: string): number {
  const upper = name.toUpperCase();
  const n = RECORD_TYPES[upper] ?? (/^TYPE\d{1,5}$/.test(upper) ? Number(upper.slice(4)) : undefined);
  if (n === undefined || n > 65535) {
    throw new DnsError(`Use a DNS record type such as A, AAAA, SOA, MX: "${name}" is not one`);
  }
  return n;
}

export function encodeQuery(id: number, name: string, type: number, recursion = true): Uint8Array {
  const labels = name === "." || name === "" ? [] : name.replace(/\.$/, "").split(".");
  const parts: number[] = [id >> 8, id & 0xff, recursion ? 0x01 : 0x00, 0, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const label of labels) {
    const bytes = new TextEncoder().encode(label);
    if (bytes.length === 0 || bytes.length > 63) throw new DnsError(`Fix the DNS name "${name}": bad label`);
    parts.push(bytes.length, ...bytes);
  }
  parts.push(0, type >> 8, type & 0xff, 0, 1);
  if (parts.length > 512) throw new DnsError(`Shorten the DNS name "${name}"`);
  return new Uint8Array(parts);
}

export interface DnsAnswer {
  name: string;
  type: number;
  /** Text form: dotted quad, IPv6, a name, TXT strings joined; hex for other types. */
  data: string;
}

export interface DnsReply {
  id: number;
  qr: boolean;
  rcode: number;
  answers: DnsAnswer[];
}

function readName(buf: Uint8Array, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let at = start;
  let next = -1;
  for (let hops = 0; hops < 64; hops++) {
    const len = buf[at];
    if (len === undefined) throw new DnsError("name runs past the message");
    if (len === 0) {
      return { name: labels.length ? labels.join(".") : ".", next: next < 0 ? at + 1 : next };
    }
    if ((len & 0xc0) === 0xc0) {
      const lo = buf[at + 1];
      if (lo === undefined) throw new DnsError("pointer runs past the message");
      if (next < 0) next = at + 2;
      at = ((len & 0x3f) << 8) | lo;
      continue;
    }
    if (at + 1 + len > buf.length) throw new DnsError("label runs past the message");
    labels.push(new TextDecoder("latin1").decode(buf.subarray(at + 1, at + 1 + len)));
    at += 1 + len;
  }
  throw new DnsError("name has too many labels or a pointer loop");
}

function rdataText(buf: Uint8Array, type: number, at: number, len: number): string {
  const rd = buf.subarray(at, at + len);
  if ((type === 1 && len === 4) || (type === 28 && len === 16)) return formatIp(rd);
  if (type === 2 || type === 5 || type === 12) return readName(buf, at).name;
  if (type === 15) return readName(buf, at + 2).name;
  if (type === 16) {
    const parts: string[] = [];
    for (let i = 0; i < rd.length; ) {
      const n = rd[i]!;
      parts.push(new TextDecoder().decode(rd.subarray(i + 1, i + 1 + n)));
      i += 1 + n;
    }
    return parts.join("");
  }
  return Buffer.from(rd).toString("hex");
}

export function decodeReply(buf: Uint8Array): DnsReply {
  if (buf.length < 12) throw new DnsError("reply shorter than a DNS header");
  const u16 = (i: number) => (buf[i]! << 8) | buf[i + 1]!;
  const reply: DnsReply = { id: u16(0), qr: (buf[2]! & 0x80) !== 0, rcode: buf[3]! & 0x0f, answers: [] };
  const qd = u16(4);
  const an = u16(6);
  let at = 12;
  for (let i = 0; i < qd; i++) at = readName(buf, at).next + 4;
  for (let i = 0; i < an && i < 256; i++) {
    const { name, next } = readName(buf, at);
    if (next + 10 > buf.length) throw new DnsError("answer runs past the message");
    const type = u16(next);
    const len = u16(next + 8);
    if (next + 10 + len > buf.length) throw new DnsError("answer data runs past the message");
    reply.answers.push({ name, type, data: rdataText(buf, type, next + 10, len) });
    at = next + 10 + len;
  }
  return reply;
}
