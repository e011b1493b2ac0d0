// Interface lookups through ioctl on a throwaway datagram socket: they work in whatever network namespace
// the process runs in (unlike /sys, which shows the namespace it was mounted in). IPv6 link-local addresses come from
// /proc/net/if_inet6, which is per network namespace too.

import { readFileSync } from "node:fs";
import { formatIp } from "../net/ip.ts";
import { AF_INET, check, closeFd, cstr, errno, libc, SOCK_CLOEXEC, SOCK_DGRAM, SysError } from "./libc.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";

const SIOCGIFFLAGS = 0x8913;
const SIOCGIFADDR = 0x8915;
const SIOCGIFHWADDR = 0x8927;
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

export class InterfaceError extends TcpvsError {
  declare readonly code: "bad_interface";
  constructor(message: string) {
    super("bad_interface", message);
    this.name = "InterfaceError";
  }
}

function ifreq(name: string): Uint8Array {
  if (name.length === 0 || name.length > 15)
    throw new InterfaceError(`Use an interface name of 1-15 characters, not "${name}"`);
  const b = new Uint8Array(40);
  b.set(new TextEncoder().encode(name));
  return b;
}

function withSocket<T>(fn: (fd: number) => T): T {
  const fd = check(libc().socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "Cannot open an ioctl socket");
  try {
    return fn(fd);
  } finally {
    closeFd(fd);
  }
}

function ioctl(name: string, req: number, what: string): Uint8Array {
  const b = ifreq(name);
  withSocket((fd) => {
    if (libc().ioctl(fd, req, b) < 0) throw new SysError(`${what} of "${name}"`, errno());
  });
  return b;
}

export function ifIndex(name: string): number {
  const i = libc().if_nametoindex(cstr(name));
  if (i === 0) throw new InterfaceError(`Check the interface name: "${name}" does not exist`);
  return i;
}

export function ifMac(name: string): Uint8Array {
  return ioctl(name, SIOCGIFHWADDR, "Cannot read the MAC address").slice(18, 24);
}

/** The interface's primary IPv4 address, or undefined when it has none. */
export function ifPrimaryAddress(name: string): string | undefined {
  try {
    const b = ioctl(name, SIOCGIFADDR, "Cannot read the address");
    return `${b[20]}.${b[21]}.${b[22]}.${b[23]}`;
  } catch (e) {
    if (e instanceof SysError && e.errnoName === "EADDRNOTAVAIL") return undefined;
    throw e;
  }
}

/** Administratively up and with carrier. */
export function ifLinkUp(name: string): boolean {
  try {
    const b = ioctl(name, SIOCGIFFLAGS, "Cannot read the flags");
    const flags = b[16]! | (b[17]! << 8);
    return (flags & IFF_UP) !== 0 && (flags & IFF_RUNNING) !== 0;
  } catch (e) {
    if (e instanceof SysError && e.errnoName === "ENODEV") return false;
    throw e;
  }
}

const IFA_F_TENTATIVE = 0x40;
const IFA_F_DADFAILED = 0x08;
const SCOPE_LINK = 0x20;

/**
 * The link-local address of `name` from /proc/net/if_inet6 text (one address a line: 32 hex digits,
 * ifindex, prefix length, scope, flags, name), skipping addresses still in or failed at duplicate
 * address detection, which cannot be bound. Pure, for tests.
 */
export function linkLocalFrom(text: string, name: string): { address?: string; tentative: boolean } {
  let tentative = false;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[5] !== name || Number.parseInt(f[3]!, 16) !== SCOPE_LINK) continue;
    const flags = Number.parseInt(f[4]!, 16);
    if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) {
      tentative = true;
      continue;
    }
    const hex = f[0]!;
    if (!/^[0-9a-f]{32}$/i.test(hex)) continue;
    const bytes = Uint8Array.from(hex.match(/../g)!.map((b) => Number.parseInt(b, 16)));
    return { address: formatIp(bytes), tentative: false };
  }
  return { tentative };
}

/**
 * The interface's usable IPv6 link-local address (the source of multicast VRRPv3 adverts); undefined
 * while there is none: no carrier yet, or still in duplicate address detection.
 */
export function ifLinkLocal6(name: string): string | undefined {
  return readLinkLocal(name).address;
}

function readLinkLocal(name: string): { address?: string; tentative: boolean } {
  try {
    return linkLocalFrom(readFileSync("/proc/net/if_inet6", "utf8"), name);
  } catch {
    return { tentative: false }; // IPv6 disabled
  }
}
