// What raw protocol sockets (VRRP's, IPv4 and IPv6) share: opening a non-blocking raw socket tied to one
// interface, and receiving with recvmsg(2) into pinned buffers whose control messages (PKTINFO, hop
// limit) the caller walks. The msghdr is laid out once; each read only resets its lengths.

import {
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
  SOL_SOCKET,
  SysError,
} from "./libc.ts";

const SO_BINDTODEVICE = 25;

/** A raw `protocol` socket of `family` that sees (and sends on) `ifname` only; closed if binding fails. */
export function openRawOnDevice(family: number, protocol: number, ifname: string, what: string): number {
  const c = libc();
  const fd = check(c.socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol), what);
  const dev = new TextEncoder().encode(`${ifname}\0`);
  if (c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length) < 0) {
    const e = errno();
    closeFd(fd);
    throw new SysError(`Cannot bind the raw socket to "${ifname}"`, e);
  }
  return fd;
}

/** One pending datagram's buffers, and recvmsg over them. */
export class MsgReader {
  readonly buf = pinned(2048);
  readonly ctrl: Uint8Array<ArrayBuffer>;
  /** The sender's sockaddr (sockaddr_in or sockaddr_in6). */
  readonly name: Uint8Array<ArrayBuffer>;
  private readonly iov = pinned(16);
  private readonly msg = pinned(56);
  private readonly mv = new DataView(this.msg.buffer);
  private readonly cv: DataView;

  constructor(nameSize: number, ctrlSize: number) {
    this.name = pinned(nameSize);
    this.ctrl = pinned(ctrlSize);
    this.cv = new DataView(this.ctrl.buffer);
    const mv = this.mv;
    mv.setBigUint64(0, BigInt(ptr(this.name)), true);
    mv.setBigUint64(16, BigInt(ptr(this.iov)), true);
    mv.setBigUint64(24, 1n, true);
    mv.setBigUint64(32, BigInt(ptr(this.ctrl)), true);
    const iv = new DataView(this.iov.buffer);
    iv.setBigUint64(0, BigInt(ptr(this.buf)), true);
    iv.setBigUint64(8, BigInt(this.buf.length), true);
  }

  /** Bytes of the next datagram in `buf`, or -1 when none is queued. */
  read(fd: number, ifname: string): number {
    const mv = this.mv;
    mv.setUint32(8, this.name.length, true);
    mv.setBigUint64(40, BigInt(this.ctrl.length), true);
    mv.setInt32(48, 0, true);
    const n = Number(libc().recvmsg(fd, this.msg, 0));
    if (n >= 0) return n;
    const e = errno();
    if (e === EAGAIN) return -1;
    throw new SysError(`Cannot receive on the raw socket of "${ifname}"`, e);
  }

  /** Each control message of the last read: level, type, where its data starts in `ctrl`, its cmsg_len. */
  eachCmsg(f: (level: number, type: number, data: number, len: number) => void): void {
    const cv = this.cv;
    const clen = Number(this.mv.getBigUint64(40, true));
    for (let off = 0; off + 16 <= clen; ) {
      const len = Number(cv.getBigUint64(off, true));
      if (len < 16) break;
      f(cv.getInt32(off + 8, true), cv.getInt32(off + 12, true), off + 16, len);
      off += (len + 7) & ~7;
    }
  }

  int32(at: number): number {
    return this.cv.getInt32(at, true);
  }
}
