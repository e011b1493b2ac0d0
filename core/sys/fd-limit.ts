// The process's file descriptor limit (RLIMIT_NOFILE): raised to its hard limit at start, and a cheap
// probe for "out of descriptors right now". Bun reports a socket() that failed with EMFILE as a refused
// connect (ECONNREFUSED) and retries a failed accept() in a tight loop, so the switch must ask itself.

import { closeFd, cstr, errno, errnoName, libc } from "./libc.ts";

const RLIMIT_NOFILE = 7;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;

export interface NofileLimit {
  /** The soft limit now in force. */
  soft: number;
  hard: number;
  /** The soft limit before it was raised (equal to `soft` when nothing changed). */
  was: number;
  /** Why it could not be raised, when it could not. */
  error?: string;
}

function read(): { soft: number; hard: number } {
  const b = new BigUint64Array(2);
  if (libc().getrlimit(RLIMIT_NOFILE, b) !== 0) throw new Error(`getrlimit: errno ${errno()}`);
  // RLIM_INFINITY (2^64-1) does not happen for NOFILE on Linux (nr_open bounds it), but stay finite.
  const n = (v: bigint) => (v > 1n << 40n ? 2 ** 40 : Number(v));
  return { soft: n(b[0]!), hard: n(b[1]!) };
}

/** Raise the soft RLIMIT_NOFILE to the hard limit (what HAProxy and nginx do at start). */
export function raiseNofile(): NofileLimit {
  const { soft, hard } = read();
  if (soft >= hard) return { soft, hard, was: soft };
  const b = new BigUint64Array([BigInt(hard), BigInt(hard)]);
  if (libc().setrlimit(RLIMIT_NOFILE, b) !== 0) {
    const e = errno();
    return { soft, hard, was: soft, error: errnoName[e] ?? `errno ${e}` };
  }
  return { ...read(), was: soft };
}

/** The limits as they are, without changing them. */
export function nofile(): { soft: number; hard: number } {
  return read();
}

// One descriptor kept open for the probe: dup() of it fails with EMFILE/ENFILE exactly when a new
// socket would. Opened by the first probe (call it once at start, while descriptors are plentiful);
// a failed open is tried again by the next probe.
let spare = -1;

/**
 * "EMFILE" or "ENFILE" when no descriptor can be had right now, otherwise undefined. Two system calls
 * (dup, close): cheap enough for every new server connection and every sweep tick.
 */
export function fdShortage(): "EMFILE" | "ENFILE" | undefined {
  const c = libc();
  if (spare < 0) {
    spare = c.open(cstr("/dev/null"), O_RDONLY | O_CLOEXEC);
    if (spare < 0) {
      const e = errno();
      return e === 24 ? "EMFILE" : e === 23 ? "ENFILE" : undefined;
    }
  }
  const fd = c.dup(spare);
  if (fd >= 0) {
    closeFd(fd);
    return undefined;
  }
  const e = errno();
  return e === 24 ? "EMFILE" : e === 23 ? "ENFILE" : undefined;
}
