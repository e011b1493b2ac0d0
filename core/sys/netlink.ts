// Add and remove IPv4 and IPv6 addresses through rtnetlink: one request, one ack carrying -errno, so the caller
// learns exactly why ("EEXIST", "EADDRNOTAVAIL") without parsing `ip` output.

import { ipBytes } from "../net/ip.ts";
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  check,
  closeFd,
  libc,
  MSG_DONTWAIT,
  SOCK_CLOEXEC,
  SOCK_RAW,
  strerror,
  errnoName,
} from "./libc.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";

const NETLINK_ROUTE = 0;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_LABEL = 3;
/** Skip duplicate address detection: a VIP must answer at once after a failover, as with keepalived. */
const IFA_F_NODAD = 0x02;
const POLLIN = 1;

export class AddressError extends TcpvsError {
  declare readonly code: "sys_call_failed";
  readonly errno: number;
  /** The errno's symbolic name ("EEXIST"), what callers branch on. */
  readonly errnoName: string;
  constructor(msg: string, e: number) {
    super("sys_call_failed", msg);
    this.name = "AddressError";
    this.errno = e;
    this.errnoName = errnoName[e] ?? `ERRNO_${e}`;
  }
}

export interface AddressSpec {
  ifindex: number;
  address: string;
  prefix: number;
  /** "eth0:1" style label; must start with the interface name. */
  label?: string;
}

let seq = 1;

function attr(type: number, data: Uint8Array): Uint8Array {
  const len = 4 + data.length;
  const out = new Uint8Array((len + 3) & ~3);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, len, true);
  dv.setUint16(2, type, true);
  out.set(data, 4);
  return out;
}

function request(type: number, flags: number, a: AddressSpec): Uint8Array {
  const ip = ipBytes(a.address);
  const v6 = ip.length === 16;
  const attrs = [attr(IFA_LOCAL, ip), attr(IFA_ADDRESS, ip)];
  // Labels are an IPv4 notion; the kernel has nowhere to keep one on an IPv6 address.
  if (a.label && !v6) attrs.push(attr(IFA_LABEL, new TextEncoder().encode(`${a.label}\0`)));
  const len = 16 + 8 + attrs.reduce((n, x) => n + x.length, 0);
  const msg = new Uint8Array(len);
  const dv = new DataView(msg.buffer);
  dv.setUint32(0, len, true);
  dv.setUint16(4, type, true);
  dv.setUint16(6, NLM_F_REQUEST | NLM_F_ACK | flags, true);
  dv.setUint32(8, seq++, true);
  msg[16] = v6 ? AF_INET6 : AF_INET;
  msg[17] = a.prefix;
  if (v6) msg[18] = IFA_F_NODAD;
  dv.setUint32(20, a.ifindex, true);
  let off = 24;
  for (const x of attrs) {
    msg.set(x, off);
    off += x.length;
  }
  return msg;
}

/** Send one request and return the ack's errno (0 = success). */
function transact(msg: Uint8Array): number {
  const c = libc();
  const fd = check(
    c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE),
    "Cannot open a netlink socket",
  );
  try {
    const nl = new Uint8Array(12);
    new DataView(nl.buffer).setUint16(0, AF_NETLINK, true);
    check(c.bind(fd, nl, 12), "Cannot bind the netlink socket");
    check(c.sendto(fd, msg, msg.length, 0, nl, 12), "Cannot send a netlink request");
    const want = new DataView(msg.buffer).getUint32(8, true);
    const buf = new Uint8Array(8192);
    const pfd = new Uint8Array(8);
    new DataView(pfd.buffer).setInt32(0, fd, true);
    new DataView(pfd.buffer).setInt16(4, POLLIN, true);
    // Bounded: the kernel answers synchronously; a few reads cover unrelated messages.
    for (let i = 0; i < 8; i++) {
      if (c.poll(pfd, 1, 1000) <= 0) break;
      const n = Number(c.recv(fd, buf, buf.length, MSG_DONTWAIT));
      if (n < 16) continue;
      const dv = new DataView(buf.buffer, 0, n);
      if (dv.getUint16(4, true) === NLMSG_ERROR && dv.getUint32(8, true) === want)
        return -dv.getInt32(16, true);
    }
    throw new AddressError("Retry the address change: netlink sent no acknowledgement within 1 s", 0);
  } finally {
    closeFd(fd);
  }
}

export function addAddress(a: AddressSpec): void {
  const e = transact(request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, a));
  if (e !== 0)
    throw new AddressError(
      `Cannot add "${a.address}/${a.prefix}" on ifindex ${a.ifindex}: ${strerror(e)}`,
      e,
    );
}

export function delAddress(a: AddressSpec): void {
  const e = transact(request(RTM_DELADDR, 0, a));
  if (e !== 0)
    throw new AddressError(
      `Cannot remove "${a.address}/${a.prefix}" from ifindex ${a.ifindex}: ${strerror(e)}`,
      e,
    );
}

/** Add, treating "already there" as success (a restart after a crash). */
export function ensureAddress(a: AddressSpec): boolean {
  try {
    addAddress(a);
    return true;
  } catch (e) {
    if (e instanceof AddressError && e.errnoName === "EEXIST") return false;
    throw e;
  }
}

/** Remove, treating "not there" as success. */
export function dropAddress(a: AddressSpec): boolean {
  try {
    delAddress(a);
    return true;
  } catch (e) {
    if (e instanceof AddressError && e.errnoName === "EADDRNOTAVAIL") return false;
    throw e;
  }
}
