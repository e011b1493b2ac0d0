// Raw IPv4 protocol-112 sockets for VRRP. Two sockets, as keepalived does: the sender is bound to our
// source address (the v3 checksum covers it) and the receiver is not (a bound raw socket would only see
// packets addressed to that one address, never the multicast group). Both are non-blocking; the owner
// drains the receiver on a short timer.

import {
  AF_INET,
  check,
  closeFd,
  errno,
  inetAton,
  libc,
  SOL_IP,
  SOL_SOCKET,
  SysError,
  setIntOpt,
  sockaddrIn,
} from "../sys/libc.ts";
import { MsgReader, openRawOnDevice } from "../sys/rawmsg.ts";
import { VRRP_PROTO } from "./packet.ts";

const IP_TOS = 1;
const IP_PKTINFO = 8;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IP_MULTICAST_ALL = 49;
const SO_RCVBUF = 8;

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
  private readonly reader = new MsgReader(16, 64);

  constructor(private readonly o: VrrpSocketOptions) {
    const c = libc();
    const group = inetAton("224.0.0.18");
    const src = inetAton(o.src);
    this.tx = -1;
    this.rx = -1;
    try {
      this.tx = openRawOnDevice(
        AF_INET,
        VRRP_PROTO,
        o.ifname,
        "Cannot open a VRRP raw socket (needs CAP_NET_RAW)",
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

      this.rx = openRawOnDevice(
        AF_INET,
        VRRP_PROTO,
        o.ifname,
        "Cannot open a VRRP raw socket (needs CAP_NET_RAW)",
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
  }

  send(dst: string, payload: Uint8Array): void {
    const to = sockaddrIn(inetAton(dst));
    const r = Number(libc().sendto(this.tx, payload, payload.length, 0, to, 16));
    if (r < 0) throw new SysError(`Cannot send a VRRP advert to "${dst}" on "${this.o.ifname}"`, errno());
  }

  /** One queued packet, or undefined when the queue is empty. */
  recv(): Received | undefined {
    if (this.rx < 0) return undefined;
    const r = this.reader;
    const n = r.read(this.rx, this.o.ifname);
    if (n < 0) return undefined;
    let ifindex = this.o.ifindex;
    r.eachCmsg((level, type, data) => {
      if (level === SOL_IP && type === IP_PKTINFO) ifindex = r.int32(data);
    });
    return { packet: r.buf.slice(0, n), ifindex };
  }

  close(): void {
    closeFd(this.tx);
    closeFd(this.rx);
    this.tx = -1;
    this.rx = -1;
  }
}
