// Raw IPv6 protocol-112 sockets for VRRPv3 over IPv6, the counterpart of socket4.ts. An IPv6 raw
// socket hands over the payload only: the source comes from the peer address, the destination and
// ingress interface from IPV6_PKTINFO and the hop limit from IPV6_HOPLIMIT, so the receiver can still
// drop adverts that crossed a router. The sender is bound to the interface's link-local address (or
// unicast_src_ip): the v3 checksum covers the source, so it must be the one the kernel uses.

import { ipBytes, formatIp, isLinkLocal6 } from "../net/ip.ts";
import {
  AF_INET6,
  check,
  closeFd,
  errno,
  libc,
  SOL_IPV6,
  SOL_SOCKET,
  SysError,
  setIntOpt,
  sockaddrIn6,
} from "../sys/libc.ts";
import { MsgReader, openRawOnDevice } from "../sys/rawmsg.ts";
import { VRRP_PROTO } from "./packet.ts";
import type { Received, VrrpSocketOptions } from "./socket4.ts";

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
const GROUP = "ff02::12";

export class VrrpSocket6 {
  private tx = -1;
  private rx = -1;
  private readonly reader = new MsgReader(28, 128);
  private readonly srcScope: number;

  constructor(private readonly o: VrrpSocketOptions) {
    const c = libc();
    this.srcScope = isLinkLocal6(o.src) ? o.ifindex : 0;
    try {
      this.tx = openRawOnDevice(
        AF_INET6,
        VRRP_PROTO,
        o.ifname,
        "Cannot open an IPv6 VRRP raw socket (needs CAP_NET_RAW)",
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

      this.rx = openRawOnDevice(
        AF_INET6,
        VRRP_PROTO,
        o.ifname,
        "Cannot open an IPv6 VRRP raw socket (needs CAP_NET_RAW)",
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
    const r = this.reader;
    const n = r.read(this.rx, this.o.ifname);
    if (n < 0) return undefined;
    let ifindex = this.o.ifindex;
    let dst = "::";
    // Without the control message the hop limit is unknown: -1 fails the multicast check.
    let hopLimit = -1;
    r.eachCmsg((level, type, data, len) => {
      if (level !== SOL_IPV6) return;
      if (type === IPV6_PKTINFO && len >= 36) {
        dst = formatIp(r.ctrl.subarray(data, data + 16));
        ifindex = r.int32(data + 16) >>> 0;
      } else if (type === IPV6_HOPLIMIT && len >= 20) hopLimit = r.int32(data);
    });
    const src = formatIp(r.name.subarray(8, 24));
    return { packet: r.buf.slice(0, n), ifindex, v6: { src, dst, hopLimit } };
  }

  close(): void {
    closeFd(this.tx);
    closeFd(this.rx);
    this.tx = -1;
    this.rx = -1;
  }
}
