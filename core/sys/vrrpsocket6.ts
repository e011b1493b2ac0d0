// Raw IPv6 protocol-112 sockets for VRRPv3 over IPv6, the counterpart of vrrpsocket.ts. An IPv6 raw
// socket hands over the payload only: the source comes from the peer address, the destination and
// ingress interface from IPV6_PKTINFO and the hop limit from IPV6_HOPLIMIT, so the receiver can still
// drop adverts that crossed a router. The sender is bound to the interface's link-local address (or
// unicast_src_ip): the v3 checksum covers the source, so it must be the one the kernel uses.

import { ipBytes, formatIp, isLinkLocal6 } from "../vrrp/ipaddr.ts";
import {
  AF_INET6,
  check,
  closeFd,
  EAGAIN,
  errno,
  libc,
  pinned,
  ptr,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_IPV6,
  SOL_SOCKET,
  SysError,
  setIntOpt,
  sockaddrIn6,
} from "./libc.ts";
import type { Received, VrrpSocketOptions } from "./vrrpsocket.ts";

const IPPROTO_VRRP = 112;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const IPV6_ADD_MEMBERSHIP = 20;
const IPV6_MULTICAST_ALL = 29;
const IPV6_RECVPKTINFO = 49;
const IPV6_PKTINFO = 50;
const IPV6_RECVHOPLIMIT = 51;
const IPV6_HOPLIMIT = 52;
const IPV6_TCLASS = 67;
const SO_RCVBUF = 8;
const SO_BINDTODEVICE = 25;
const GROUP = "ff02::12";

export class VrrpSocket6 {
  private tx = -1;
  private rx = -1;
  private readonly buf = pinned(2048);
  private readonly ctrl = pinned(128);
  private readonly name = pinned(28);
  private readonly iov = pinned(16);
  private readonly msg = pinned(56);
  private readonly msgView = new DataView(this.msg.buffer);
  private readonly srcScope: number;

  constructor(private readonly o: VrrpSocketOptions) {
    const c = libc();
    const dev = new TextEncoder().encode(`${o.ifname}\0`);
    this.srcScope = isLinkLocal6(o.src) ? o.ifindex : 0;
    try {
      this.tx = check(
        c.socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP),
        "Cannot open an IPv6 VRRP raw socket (needs CAP_NET_RAW)",
      );
      check(
        c.setsockopt(this.tx, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length),
        `Cannot bind the VRRP socket to "${o.ifname}"`,
      );
      const sin6 = sockaddrIn6(ipBytes(o.src), this.srcScope);
      check(
        c.bind(this.tx, sin6, 28),
        `Cannot bind the VRRP socket to "${o.src}" (is it on "${o.ifname}" and past duplicate address detection?)`,
      );
      const hops = o.ttl ?? 255;
      setIntOpt(this.tx, SOL_IPV6, IPV6_MULTICAST_HOPS, hops, "Cannot set the multicast hop limit");
      setIntOpt(this.tx, SOL_IPV6, IPV6_UNICAST_HOPS, hops, "Cannot set the unicast hop limit");
      setIntOpt(this.tx, SOL_IPV6, IPV6_MULTICAST_LOOP, 0, "Cannot turn off multicast loop");
      setIntOpt(this.tx, SOL_IPV6, IPV6_MULTICAST_IF, o.ifindex, "Cannot set the multicast interface");
      setIntOpt(this.tx, SOL_IPV6, IPV6_TCLASS, 0xc0, "Cannot set the traffic class");
      setIntOpt(this.tx, SOL_SOCKET, SO_RCVBUF, 1, "Cannot shrink the send socket's buffer");

      this.rx = check(
        c.socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP),
        "Cannot open an IPv6 VRRP raw socket (needs CAP_NET_RAW)",
      );
      check(
        c.setsockopt(this.rx, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length),
        `Cannot bind the VRRP socket to "${o.ifname}"`,
      );
      setIntOpt(this.rx, SOL_IPV6, IPV6_RECVPKTINFO, 1, "Cannot enable IPV6_RECVPKTINFO");
      setIntOpt(this.rx, SOL_IPV6, IPV6_RECVHOPLIMIT, 1, "Cannot enable IPV6_RECVHOPLIMIT");
      try {
        setIntOpt(this.rx, SOL_IPV6, IPV6_MULTICAST_ALL, 0, "Cannot turn off IPV6_MULTICAST_ALL");
      } catch {
        // Kernels before 4.20 lack it; SO_BINDTODEVICE already keeps other interfaces' adverts out.
      }
      setIntOpt(this.rx, SOL_SOCKET, SO_RCVBUF, 1 << 20, "Cannot raise the receive buffer");
      if (o.multicast) {
        // struct ipv6_mreq: group (16 bytes), ifindex (int).
        const m = new Uint8Array(20);
        m.set(ipBytes(GROUP));
        new DataView(m.buffer).setInt32(16, o.ifindex, true);
        check(
          c.setsockopt(this.rx, SOL_IPV6, IPV6_ADD_MEMBERSHIP, m, 20),
          `Cannot join ${GROUP} on "${o.ifname}"`,
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
    const addr = ipBytes(dst);
    // Link-local and multicast destinations need the interface as scope; others ignore it.
    const to = sockaddrIn6(addr, this.o.ifindex);
    const r = Number(libc().sendto(this.tx, payload, payload.length, 0, to, 28));
    if (r < 0) throw new SysError(`Cannot send a VRRP advert to "${dst}" on "${this.o.ifname}"`, errno());
  }

  /** One queued advert (the VRRP message, with header fields in `v6`), or undefined when none. */
  recv(): Received | undefined {
    if (this.rx < 0) return undefined;
    const dv = this.msgView;
    dv.setUint32(8, 28, true);
    dv.setBigUint64(40, BigInt(this.ctrl.length), true);
    dv.setInt32(48, 0, true);
    const n = Number(libc().recvmsg(this.rx, this.msg, 0));
    if (n < 0) {
      const e = errno();
      if (e === EAGAIN) return undefined;
      throw new SysError(`Cannot receive on the VRRP socket of "${this.o.ifname}"`, e);
    }
    let ifindex = this.o.ifindex;
    let dst = "::";
    // Without the control message the hop limit is unknown: -1 fails the multicast check.
    let hopLimit = -1;
    const clen = Number(dv.getBigUint64(40, true));
    const cv = new DataView(this.ctrl.buffer);
    for (let off = 0; off + 16 <= clen; ) {
      const len = Number(cv.getBigUint64(off, true));
      if (len < 16) break;
      if (cv.getInt32(off + 8, true) === SOL_IPV6) {
        const type = cv.getInt32(off + 12, true);
        if (type === IPV6_PKTINFO && len >= 36) {
          dst = formatIp(this.ctrl.subarray(off + 16, off + 32));
          ifindex = cv.getUint32(off + 32, true);
        } else if (type === IPV6_HOPLIMIT && len >= 20) hopLimit = cv.getInt32(off + 16, true);
      }
      off += (len + 7) & ~7;
    }
    const src = formatIp(this.name.subarray(8, 24));
    return { packet: this.buf.slice(0, n), ifindex, v6: { src, dst, hopLimit } };
  }

  close(): void {
    closeFd(this.tx);
    closeFd(this.rx);
    this.tx = -1;
    this.rx = -1;
  }
}
