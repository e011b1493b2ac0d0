// Raw IPv4 protocol-112 sockets for VRRP. Two sockets, as keepalived does: the sender is bound to our
// source address (the v3 checksum covers it) and the receiver is not (a bound raw socket would only see
// packets addressed to that one address, never the multicast group). Both are non-blocking; the owner
// drains the receiver on a short timer.

import {
  AF_INET,
  EAGAIN,
  check,
  closeFd,
  errno,
  inetAton,
  libc,
  pinned,
  ptr,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_IP,
  SOL_SOCKET,
  SysError,
  setIntOpt,
  sockaddrIn,
} from "./libc.ts";

const IPPROTO_VRRP = 112;
const IP_TOS = 1;
const IP_PKTINFO = 8;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IP_MULTICAST_ALL = 49;
const SO_RCVBUF = 8;
const SO_BINDTODEVICE = 25;

export interface VrrpSocketOptions {
  ifname: string;
  ifindex: number;
  /** Source address of our adverts (primary address or unicast_src_ip). */
  src: string;
  /** Join 224.0.0.18 (ff02::12) on this interface (false for unicast-only instances). */
  multicast: boolean;
  /** Multicast TTL or hop limit; 255 is what VRRP requires (tests send others on purpose). */
  ttl?: number;
}

export interface Received {
  /** The whole IPv4 packet; over IPv6 the VRRP message alone (raw IPv6 sockets strip the header). */
  packet: Uint8Array;
  /** Ingress interface from IP_PKTINFO / IPV6_PKTINFO. */
  ifindex: number;
  /** IPv6 only: the header fields, from the peer address and control messages. */
  v6?: { src: string; dst: string; hopLimit: number };
}

function mreqn(group: number, local: number, ifindex: number): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, group);
  dv.setUint32(4, local);
  dv.setInt32(8, ifindex, true);
  return b;
}

export class VrrpSocket {
  private tx: number;
  private rx: number;
  private readonly buf = pinned(2048);
  private readonly ctrl = pinned(64);
  private readonly name = pinned(16);
  private readonly iov = pinned(16);
  private readonly msg = pinned(56);
  private readonly msgView = new DataView(this.msg.buffer);

  constructor(private readonly o: VrrpSocketOptions) {
    const c = libc();
    const dev = new TextEncoder().encode(`${o.ifname}\0`);
    const group = inetAton("224.0.0.18");
    const src = inetAton(o.src);
    this.tx = -1;
    this.rx = -1;
    try {
      this.tx = check(
        c.socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP),
        "Cannot open a VRRP raw socket (needs CAP_NET_RAW)",
      );
      check(
        c.setsockopt(this.tx, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length),
        `Cannot bind the VRRP socket to "${o.ifname}"`,
      );
      const sin = sockaddrIn(src);
      check(c.bind(this.tx, sin, 16), `Cannot bind the VRRP socket to "${o.src}"`);
      setIntOpt(this.tx, SOL_IP, IP_MULTICAST_TTL, o.ttl ?? 255, "Cannot set the multicast TTL");
      setIntOpt(this.tx, SOL_IP, IP_MULTICAST_LOOP, 0, "Cannot turn off multicast loop");
      setIntOpt(this.tx, SOL_IP, IP_TOS, 0xc0, "Cannot set the IP TOS");
      const mif = mreqn(0, src, o.ifindex);
      check(c.setsockopt(this.tx, SOL_IP, IP_MULTICAST_IF, mif, 12), "Cannot set the multicast interface");
      // The sender never reads; a tiny buffer keeps unicast echoes from piling up.
      setIntOpt(this.tx, SOL_SOCKET, SO_RCVBUF, 1, "Cannot shrink the send socket's buffer");

      this.rx = check(
        c.socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP),
        "Cannot open a VRRP raw socket (needs CAP_NET_RAW)",
      );
      check(
        c.setsockopt(this.rx, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length),
        `Cannot bind the VRRP socket to "${o.ifname}"`,
      );
      setIntOpt(this.rx, SOL_IP, IP_PKTINFO, 1, "Cannot enable IP_PKTINFO");
      setIntOpt(this.rx, SOL_IP, IP_MULTICAST_ALL, 0, "Cannot turn off IP_MULTICAST_ALL");
      setIntOpt(this.rx, SOL_SOCKET, SO_RCVBUF, 1 << 20, "Cannot raise the receive buffer");
      if (o.multicast) {
        const m = mreqn(group, src, o.ifindex);
        check(
          c.setsockopt(this.rx, SOL_IP, IP_ADD_MEMBERSHIP, m, 12),
          `Cannot join 224.0.0.18 on "${o.ifname}"`,
        );
      }
    } catch (e) {
      this.close();
      throw e;
    }
    const dv = this.msgView;
    dv.setBigUint64(0, BigInt(ptr(this.name)), true);
    dv.setBigUint64(16, BigInt(ptr(this.iov)), true);
    dv.setBigUint64(24, 1n, true);
    dv.setBigUint64(32, BigInt(ptr(this.ctrl)), true);
    const iv = new DataView(this.iov.buffer);
    iv.setBigUint64(0, BigInt(ptr(this.buf)), true);
    iv.setBigUint64(8, BigInt(this.buf.length), true);
  }

  send(dst: string, payload: Uint8Array): void {
    const to = sockaddrIn(inetAton(dst));
    const r = Number(libc().sendto(this.tx, payload, payload.length, 0, to, 16));
    if (r < 0) throw new SysError(`Cannot send a VRRP advert to "${dst}" on "${this.o.ifname}"`, errno());
  }

  /** One queued packet, or undefined when the queue is empty. */
  recv(): Received | undefined {
    if (this.rx < 0) return undefined;
    const dv = this.msgView;
    dv.setUint32(8, 16, true);
    dv.setBigUint64(40, BigInt(this.ctrl.length), true);
    dv.setInt32(48, 0, true);
    const n = Number(libc().recvmsg(this.rx, this.msg, 0));
    if (n < 0) {
      const e = errno();
      if (e === EAGAIN) return undefined;
      throw new SysError(`Cannot receive on the VRRP socket of "${this.o.ifname}"`, e);
    }
    let ifindex = this.o.ifindex;
    const clen = Number(dv.getBigUint64(40, true));
    const cv = new DataView(this.ctrl.buffer);
    for (let off = 0; off + 16 <= clen; ) {
      const len = Number(cv.getBigUint64(off, true));
      if (len < 16) break;
      if (cv.getInt32(off + 8, true) === SOL_IP && cv.getInt32(off + 12, true) === IP_PKTINFO) {
        ifindex = cv.getInt32(off + 16, true);
      }
      off += (len + 7) & ~7;
    }
    return { packet: this.buf.slice(0, n), ifindex };
  }

  close(): void {
    closeFd(this.tx);
    closeFd(this.rx);
    this.tx = -1;
    this.rx = -1;
  }
}
