// The project's one door to libc (bun:ffi). Everything else in core/sys builds structs in typed arrays
// and calls through here; callers outside core/sys never see a pointer.

import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { TcpvsError } from "../errors/tcpvs-error.ts";
import { IpAddressError, ipAddress, ipv4Number } from "../net/ip.ts";

const { i32, u32, u64, ptr: P, i64_fast, cstring } = FFIType;

let lib: ReturnType<typeof open> | undefined;

function open() {
  return dlopen("libc.so.6", {
    socket: { args: [i32, i32, i32], returns: i32 },
    setsockopt: { args: [i32, i32, i32, P, u32], returns: i32 },
    bind: { args: [i32, P, u32], returns: i32 },
    sendto: { args: [i32, P, u64, i32, P, u32], returns: i64_fast },
    recvmsg: { args: [i32, P, i32], returns: i64_fast },
    recv: { args: [i32, P, u64, i32], returns: i64_fast },
    recvfrom: { args: [i32, P, u64, i32, P, P], returns: i64_fast },
    poll: { args: [P, u64, i32], returns: i32 },
    close: { args: [i32], returns: i32 },
    ioctl: { args: [i32, u64, P], returns: i32 },
    if_nametoindex: { args: [P], returns: u32 },
    __errno_location: { args: [], returns: P },
    strerror: { args: [i32], returns: cstring },
    clock_gettime: { args: [i32, P], returns: i32 },
    getrlimit: { args: [i32, P], returns: i32 },
    setrlimit: { args: [i32, P], returns: i32 },
    open: { args: [P, i32], returns: i32 },
    dup: { args: [i32], returns: i32 },
    dup3: { args: [i32, i32, i32], returns: i32 },
    getsockopt: { args: [i32, i32, i32, P, P], returns: i32 },
    epoll_ctl: { args: [i32, i32, i32, P], returns: i32 },
    sched_getaffinity: { args: [i32, u64, P], returns: i32 },
    gettid: { args: [], returns: i32 },
    setpriority: { args: [i32, u32, i32], returns: i32 },
  });
}

/** The libc symbols; opened on first use so importing this module costs nothing. */
export function libc() {
  lib ??= open();
  return lib.symbols;
}

export const errnoName: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  17: "EEXIST",
  19: "ENODEV",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  93: "EPROTONOSUPPORT",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  105: "ENOBUFS",
  113: "EHOSTUNREACH",
};

export function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : read.i32(p as number);
}

export function strerror(e: number): string {
  return libc().strerror(e) ?? `errno ${e}`;
}

/** A failed system call, with the errno kept as a stable code ("EEXIST"). */
export class SysError extends TcpvsError {
  declare readonly code: "sys_call_failed";
  readonly errno: number;
  /** The errno's symbolic name ("EEXIST"), what callers branch on. */
  readonly errnoName: string;
  constructor(action: string, e: number) {
    super("sys_call_failed", `${action}: ${strerror(e)}`);
    this.name = "SysError";
    this.errno = e;
    this.errnoName = errnoName[e] ?? `ERRNO_${e}`;
  }
}

/** Throw SysError when a call returned a negative value, reading errno immediately. */
export function check(r: number | bigint, action: string): number {
  const n = Number(r);
  if (n < 0) throw new SysError(action, errno());
  return n;
}

/**
 * Memory whose address may be stored inside another struct. A plain `new Uint8Array(n)` can live in
 * the GC heap and move the first time its `.buffer` is touched, leaving a stale pointer behind; an
 * explicit ArrayBuffer never moves.
 */
export function pinned(n: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new ArrayBuffer(n));
}

export function cstr(s: string): Uint8Array {
  return new TextEncoder().encode(`${s}\0`);
}

const SO_PEERCRED = 17;

/** Who is at the other end of a connected unix socket, as the kernel recorded it at connect time. */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** SO_PEERCRED of a connected unix socket: the peer's real credentials, not what it declares. */
export function peerCred(fd: number): PeerCred {
  const buf = new Int32Array(3);
  const len = new Uint32Array([12]);
  check(libc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ptr(buf), ptr(len)), "Cannot read SO_PEERCRED");
  return { pid: buf[0]!, uid: buf[1]!, gid: buf[2]! };
}

export { ptr };

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SOL_IP = 0;
export const SOL_IPV6 = 41;
export const EAGAIN = 11;
export const MSG_DONTWAIT = 0x40;

/** Set an int socket option. */
export function setIntOpt(fd: number, level: number, name: number, value: number, what: string): void {
  const b = new Int32Array([value]);
  check(libc().setsockopt(fd, level, name, b, 4), what);
}

export function closeFd(fd: number): void {
  if (fd >= 0) libc().close(fd);
}

export function sockaddrIn(ipU32: number, port = 0): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_INET, true);
  dv.setUint16(2, port);
  dv.setUint32(4, ipU32);
  return b;
}

/** struct sockaddr_in6 (28 bytes); the scope id names the interface of a link-local address. */
export function sockaddrIn6(addr: Uint8Array, scopeId = 0, port = 0): Uint8Array {
  if (addr.length !== 16) throw new IpAddressError(`Give 16 address bytes for IPv6, not ${addr.length}`);
  const b = new Uint8Array(28);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_INET6, true);
  dv.setUint16(2, port);
  b.set(addr, 8);
  dv.setUint32(24, scopeId, true);
  return b;
}

/** An IPv4 address to a host-order number (core/net parses it); throws bad_address on anything else. */
export function inetAton(ip: string): number {
  const a = ipAddress(ip);
  if (a.family !== 4) throw new IpAddressError(`Use a dotted IPv4 address instead of "${ip}"`);
  return ipv4Number(a);
}

const CLOCK_MONOTONIC = 1;

/** CLOCK_MONOTONIC in microseconds, the clock systemd's MONOTONIC_USEC is read against. */
export function monotonicUsec(): bigint {
  const ts = new BigInt64Array(2); // struct timespec: tv_sec, tv_nsec (64-bit each on x86-64)
  check(libc().clock_gettime(CLOCK_MONOTONIC, ts), "clock_gettime(CLOCK_MONOTONIC)");
  return ts[0]! * 1_000_000n + ts[1]! / 1000n;
}

/** How many CPUs this process may run on (sched_getaffinity of pid 0): `taskset -c 3` gives 1. */
export function affinityCpuCount(): number {
  const mask = new Uint8Array(1024); // cpu_set_t for up to 8192 CPUs
  const r = libc().sched_getaffinity(0, mask.length, mask);
  check(r, "sched_getaffinity");
  let n = 0;
  for (const byte of mask) for (let b = byte; b !== 0; b &= b - 1) n++;
  return n;
}

const PRIO_PROCESS = 0;

/**
 * Set the calling thread's nice value (Linux: setpriority on a thread id applies to that thread alone).
 * Raising it needs no privilege; lowering it below the current value needs CAP_SYS_NICE.
 */
export function setThreadNice(nice: number): void {
  check(libc().setpriority(PRIO_PROCESS, libc().gettid(), nice), `setpriority(${nice})`);
}
