// Stop and restart accepting on a listening socket that Bun owns, leaving new connections in the
// kernel's accept queue (HAProxy's maxconn behaviour). Bun.listen has no pause: its accept loop runs
// whenever the listening socket is readable and calls accept() until it fails, so a burst is taken
// whole, and when accept() fails with EMFILE it returns to epoll and is woken again at once: a spin.
// The gate does two things, both undone by resume():
// - it switches the socket's events off in Bun's epoll set (EPOLL_CTL_MOD to 0; /proc/self/fdinfo gives
//   the registration's events and user data to put back), so the loop is not woken;
// - it puts an unbound socket in the listening socket's descriptor number (dup3), keeping the real one
//   under another number, so an accept loop in progress gets EINVAL at its next accept() and stops.
// Linux only; when anything is not as expected, find() returns undefined and the caller falls back to
// accept-then-refuse. restore() must run before Bun closes the listener (it would close the stand-in).
// In a data-path worker (a thread: the descriptor table is the process's) the gate lists its two
// descriptors on a shared board (gate-fds.ts): if the worker dies, Bun closes the listener's number
// with the worker's loop, and the main thread closes these two, or the duplicate would keep the socket
// in the port's reuseport group, queueing connections for no one.

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { AF_INET, closeFd, libc, SOCK_CLOEXEC } from "./libc.ts";

const EPOLL_CTL_MOD = 3;
const IPPROTO_TCP = 6;
const TCP_INFO = 11;
const SOCK_STREAM = 1;
const O_CLOEXEC = 0o2000000;
const FIOCLEX = 0x5451;
// struct epoll_event is packed on x86-64 (12 bytes), naturally aligned elsewhere (16).
const PACKED = process.arch === "x64";

interface Registration {
  epfd: number;
  events: number;
  data: bigint;
}

function registration(fd: number, inode: number): Registration | undefined {
  const want = new RegExp(
    `^tfd:\\s+${fd}\\s+events:\\s+([0-9a-f]+)\\s+data:\\s+([0-9a-f]+).*\\bino:([0-9a-f]+)`,
    "m",
  );
  for (const name of readdirSync("/proc/self/fd")) {
    let link = "";
    try {
      link = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue;
    }
    if (link !== "anon_inode:[eventpoll]") continue;
    let info = "";
    try {
      info = readFileSync(`/proc/self/fdinfo/${name}`, "latin1");
    } catch {
      continue;
    }
    const m = want.exec(info);
    if (m && Number.parseInt(m[3]!, 16) === inode)
      return { epfd: Number(name), events: Number.parseInt(m[1]!, 16), data: BigInt(`0x${m[2]}`) };
  }
  return undefined;
}

/** Where a data-path worker lists the descriptors its gates keep (gate-fds.ts); false: no room. */
export interface GateRecord {
  hold(fds: number[]): boolean;
  drop(fds: number[]): void;
}

export class AcceptGate {
  /** The descriptor number Bun knows the listening socket by. */
  readonly fd: number;
  /** The listening socket under a number of our own (a stand-in takes `fd` while paused). */
  private readonly real: number;
  /** An unbound socket: accept() on it fails with EINVAL. */
  private readonly standIn: number;
  private readonly reg: Registration;
  private readonly tcp: boolean;
  paused = false;
  private record: GateRecord | undefined;

  private constructor(fd: number, real: number, standIn: number, reg: Registration, tcp: boolean) {
    this.fd = fd;
    this.real = real;
    this.standIn = standIn;
    this.reg = reg;
    this.tcp = tcp;
  }

  /**
   * The gate of the listening socket Bun knows as `fd` (SocketListener.fd); undefined when it cannot be
   * made. `record` (data-path workers) is told of the two descriptors the gate adds, so the main thread
   * can close them when the worker dies: Bun closes `fd` with the worker's loop, not these.
   */
  static find(fd: number, tcp: boolean, record?: GateRecord): AcceptGate | undefined {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (!m) return undefined;
      const reg = registration(fd, Number(m[1]));
      if (!reg) return undefined;
      const c = libc();
      const real = c.dup(fd);
      const standIn = c.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (
        real < 0 ||
        standIn < 0 ||
        c.ioctl(real, FIOCLEX, null) !== 0 ||
        !(record?.hold([real, standIn]) ?? true)
      ) {
        closeFd(real);
        closeFd(standIn);
        return undefined;
      }
      const g = new AcceptGate(fd, real, standIn, reg, tcp);
      g.record = record;
      return g;
    } catch {
      return undefined;
    }
  }

  private ctl(events: number): boolean {
    const b = new Uint8Array(PACKED ? 12 : 16);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, events, true);
    dv.setBigUint64(PACKED ? 4 : 8, this.reg.data, true);
    return libc().epoll_ctl(this.reg.epfd, EPOLL_CTL_MOD, this.fd, b) === 0;
  }

  /** Stop accepting: connections wait in the kernel's queue (up to its backlog). */
  pause(): boolean {
    if (this.paused) return true;
    if (!this.ctl(0)) return false;
    if (libc().dup3(this.standIn, this.fd, O_CLOEXEC) < 0) {
      this.ctl(this.reg.events);
      return false;
    }
    this.paused = true;
    return true;
  }

  resume(): boolean {
    if (!this.paused) return true;
    if (libc().dup3(this.real, this.fd, O_CLOEXEC) < 0) return false;
    this.paused = false;
    // Level-triggered: connections already queued wake the accept loop at once.
    return this.ctl(this.reg.events);
  }

  /** Put the listening socket back for good (before Bun closes it) and free the gate's descriptors. */
  restore(): void {
    this.resume();
    this.record?.drop([this.real, this.standIn]);
    closeFd(this.real);
    closeFd(this.standIn);
  }

  /** Connections waiting in the accept queue (TCP only; -1 when unknown). */
  backlog(): number {
    if (!this.tcp) return -1;
    const info = new Uint8Array(104);
    const len = new Uint32Array([info.length]);
    if (libc().getsockopt(this.real, IPPROTO_TCP, TCP_INFO, info, len) !== 0) return -1;
    // For a listening socket tcpi_unacked holds the accept queue's length (offset 24).
    return new DataView(info.buffer).getUint32(24, true);
  }
}
