// The minimal raw ICMP socket the icmp check needs, through bun:ffi on libc. Temporary home: at
// integration this moves into core/sys/ (the one FFI module) and the check imports it from there.

import { dlopen, FFIType, ptr, read } from "bun:ffi";

const AF_INET = 2;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_ICMP = 1;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;

export class RawSocketError extends Error {
  readonly code: string;
  readonly errno: number;
  constructor(code: string, errno: number, message: string) {
    super(message);
    this.code = code;
    this.errno = errno;
  }
}

type Libc = ReturnType<typeof openLibc>;
let libc: Libc | undefined;

function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    sendto: {
      args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32],
      returns: FFIType.i64,
    },
    recvfrom: {
      args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.ptr],
      returns: FFIType.i64,
    },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

function errno(c: Libc): number {
  const p = c.__errno_location();
  return p ? read.i32(p, 0) : 0;
}

function sockaddrIn(ip: string): Uint8Array {
  const sa = new Uint8Array(16);
  sa[0] = AF_INET; // sa_family is host order (little-endian on x86-64)
  const parts = ip.split(".").map(Number);
  for (let i = 0; i < 4; i++) sa[4 + i] = parts[i]!;
  return sa;
}

/** A non-blocking raw IPv4 ICMP socket. Needs CAP_NET_RAW. */
export class RawIcmpSocket {
  private readonly fd: number;
  private readonly c: Libc;

  constructor() {
    libc ??= openLibc();
    this.c = libc;
    const fd = this.c.socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd < 0) {
      const e = errno(this.c);
      if (e === 1 || e === 13) {
        throw new RawSocketError(
          "EPERM",
          e,
          "Run as root or grant CAP_NET_RAW (setcap cap_net_raw+ep): an icmp check needs a raw socket",
        );
      }
      throw new RawSocketError("ESOCKET", e, `Cannot open a raw ICMP socket: errno ${e}`);
    }
    this.fd = fd;
  }

  sendTo(packet: Uint8Array, ip: string): void {
    const sa = sockaddrIn(ip);
    const n = Number(this.c.sendto(this.fd, ptr(packet), packet.length, 0, ptr(sa), sa.length));
    if (n < 0) {
      const e = errno(this.c);
      const code = e === 101 ? "ENETUNREACH" : e === 113 ? "EHOSTUNREACH" : "ESEND";
      throw new RawSocketError(code, e, `Cannot send ICMP to "${ip}": errno ${e}`);
    }
  }

  /** One datagram (IP header included) and its source, or undefined when nothing is queued. */
  tryRecv(): { data: Uint8Array; from: string } | undefined {
    const buf = new Uint8Array(2048);
    const sa = new Uint8Array(16);
    const len = new Uint32Array([16]);
    const n = Number(this.c.recvfrom(this.fd, ptr(buf), buf.length, MSG_DONTWAIT, ptr(sa), ptr(len)));
    if (n < 0) {
      const e = errno(this.c);
      if (e === EAGAIN) return undefined;
      throw new RawSocketError("ERECV", e, `Cannot receive ICMP: errno ${e}`);
    }
    return { data: buf.subarray(0, n), from: `${sa[4]}.${sa[5]}.${sa[6]}.${sa[7]}` };
  }

  close(): void {
    this.c.close(this.fd);
  }
}
