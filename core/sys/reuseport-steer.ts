// One client address, one data-path worker: a classic BPF program on a port's SO_REUSEPORT group picks
// the member socket by a hash of the source address instead of the kernel's 4-tuple hash, so every
// connection of a client reaches the worker that holds its TLS session (a worker's ticket key is its
// own: Bun offers no way to share one). The program belongs to the group, not to the socket it is set
// on: any worker may set or clear it, and setting it again replaces it. The index it returns is a
// position in the group's list of sockets; one past the end (a worker gone, its replacement not yet
// bound) falls back to the kernel's own hash.

import { errno, libc, ptr, SOL_SOCKET, strerror } from "./libc.ts";

const SO_ATTACH_REUSEPORT_CBPF = 51;
const SO_DETACH_REUSEPORT_BPF = 68;
const ENOENT = 2;

// Classic BPF (linux/filter.h): what the program needs of it.
const LD_W_ABS = 0x20;
const LD_B_ABS = 0x30;
const ALU_K = 0x04;
const ALU_X = 0x0c;
const MUL = 0x20;
const RSH = 0x70;
const MOD = 0x90;
const XOR = 0xa0;
const JEQ_K = 0x15;
const JA = 0x05;
const RET_A = 0x16;
const TAX = 0x07;
/** Loads relative to the network (IP) header: the program runs past the TCP header. */
const NET = -0x100000;

type Insn = [code: number, jt: number, jf: number, k: number];

/**
 * The program for a group of `group` sockets: IPv4 hashes the source address, IPv6 the XOR of its four
 * words; a multiplicative hash spreads neighbouring addresses, the remainder by `group` is the index.
 */
export function sourceProgram(group: number): Insn[] {
  if (!Number.isInteger(group) || group < 1) throw new RangeError(`Cannot steer a group of ${group}`);
  return [
    [LD_B_ABS, 0, 0, NET], // version and IHL
    [ALU_K | RSH, 0, 0, 4],
    [JEQ_K, 0, 11, 6], // IPv6: the next 11; else on to the IPv4 load
    [LD_W_ABS, 0, 0, NET + 8],
    [TAX, 0, 0, 0],
    [LD_W_ABS, 0, 0, NET + 12],
    [ALU_X | XOR, 0, 0, 0],
    [TAX, 0, 0, 0],
    [LD_W_ABS, 0, 0, NET + 16],
    [ALU_X | XOR, 0, 0, 0],
    [TAX, 0, 0, 0],
    [LD_W_ABS, 0, 0, NET + 20],
    [ALU_X | XOR, 0, 0, 0],
    [JA, 0, 0, 1],
    [LD_W_ABS, 0, 0, NET + 12], // IPv4 source address
    [ALU_K | MUL, 0, 0, 0x9e3779b1],
    [ALU_K | RSH, 0, 0, 16],
    [ALU_K | MOD, 0, 0, group],
    [RET_A, 0, 0, 0],
  ];
}

/** struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k each. */
function encode(prog: Insn[]): Uint8Array {
  const b = new Uint8Array(prog.length * 8);
  const dv = new DataView(b.buffer);
  prog.forEach(([code, jt, jf, k], i) => {
    dv.setUint16(i * 8, code, true);
    dv.setUint8(i * 8 + 2, jt);
    dv.setUint8(i * 8 + 3, jf);
    dv.setUint32(i * 8 + 4, k >>> 0, true);
  });
  return b;
}

/** Steer the reuseport group of listening socket `fd` (of `group` sockets) by source address; an error text when it fails. */
export function steerBySource(fd: number, group: number): string | undefined {
  const prog = sourceProgram(group);
  const filters = encode(prog);
  // struct sock_fprog: u16 len, padding, then the pointer (8-byte aligned on 64-bit Linux).
  const fprog = new Uint8Array(16);
  const dv = new DataView(fprog.buffer);
  dv.setUint16(0, prog.length, true);
  dv.setBigUint64(8, BigInt(ptr(filters)), true);
  if (libc().setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog, fprog.length) === 0)
    return undefined;
  return strerror(errno());
}

/** Back to the kernel's hash (nothing to do when no program is set). */
export function unsteer(fd: number): string | undefined {
  // The kernel reads no value but refuses an option shorter than an int.
  if (libc().setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, new Uint8Array(4), 4) === 0)
    return undefined;
  const e = errno();
  return e === ENOENT ? undefined : strerror(e);
}
