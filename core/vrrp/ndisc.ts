// Unsolicited neighbour advertisements, IPv6's gratuitous ARP (RFC 4861 §7.2.6): an ICMPv6 type 136
// from the VIP to all nodes (ff02::1) with hop limit 255, the Override flag and our MAC as target
// link-layer address, so neighbours repoint an existing cache entry after a failover. Built as a whole
// Ethernet frame and sent on a packet socket, like the GARP, so it leaves with the VIP as source even
// while the kernel still prefers another address.

import { readFileSync } from "node:fs";
import { IpAddressError, ipBytes } from "../net/ip.ts";
import { AF_PACKET, check, closeFd, libc, SOCK_CLOEXEC, SOCK_RAW } from "../sys/libc.ts";

const ETH_P_IPV6 = 0x86dd;
const ICMPV6 = 58;
const ALL_NODES = ipBytes("ff02::1");
/** 33:33 + the group's low 32 bits: the Ethernet address of ff02::1. */
const ALL_NODES_MAC = Uint8Array.of(0x33, 0x33, 0, 0, 0, 1);
const NA_ROUTER = 0x80;
const NA_OVERRIDE = 0x20;

function checksum(parts: Uint8Array[]): number {
  let s = 0;
  for (const b of parts) {
    for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
    if (b.length & 1) s += b[b.length - 1]! << 8;
  }
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/**
 * The 86-byte frame: Ethernet (14), IPv6 (40), NA (24), target link-layer address option (8). `router`
 * sets the R flag: a VIP that hosts use as their default gateway must keep its router status in their
 * caches, so a forwarding host says so (keepalived does the same).
 */
export function naFrame(mac: Uint8Array, ip: string, router = false): Uint8Array {
  const target = ipBytes(ip);
  if (target.length !== 16)
    throw new IpAddressError(`Give an IPv6 address for a neighbour advert, not "${ip}"`);
  const f = new Uint8Array(14 + 40 + 32);
  const dv = new DataView(f.buffer);
  f.set(ALL_NODES_MAC, 0);
  f.set(mac, 6);
  dv.setUint16(12, ETH_P_IPV6);
  const ip6 = 14;
  f[ip6] = 0x60;
  dv.setUint16(ip6 + 4, 32);
  f[ip6 + 6] = ICMPV6;
  f[ip6 + 7] = 255;
  f.set(target, ip6 + 8);
  f.set(ALL_NODES, ip6 + 24);
  const na = ip6 + 40;
  f[na] = 136;
  f[na + 4] = NA_OVERRIDE | (router ? NA_ROUTER : 0);
  f.set(target, na + 8);
  f[na + 24] = 2; // target link-layer address
  f[na + 25] = 1; // length in units of 8 bytes
  f.set(mac, na + 26);
  const pseudo = new Uint8Array(40);
  pseudo.set(target, 0);
  pseudo.set(ALL_NODES, 16);
  new DataView(pseudo.buffer).setUint32(32, 32);
  pseudo[39] = ICMPV6;
  dv.setUint16(na + 2, checksum([pseudo, f.subarray(na)]));
  return f;
}

/** A send-only packet socket (protocol 0: the kernel queues no incoming frames to it). */
export class NaSender {
  private fd: number;

  constructor() {
    this.fd = check(
      libc().socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0),
      "Cannot open a packet socket for neighbour advertisements",
    );
  }

  send(ifindex: number, mac: Uint8Array, ip: string, router = false): void {
    const sll = new Uint8Array(20);
    const dv = new DataView(sll.buffer);
    dv.setUint16(0, AF_PACKET, true);
    dv.setUint16(2, ETH_P_IPV6);
    dv.setInt32(4, ifindex, true);
    sll[11] = 6;
    sll.set(ALL_NODES_MAC, 12);
    const frame = naFrame(mac, ip, router);
    check(
      libc().sendto(this.fd, frame, frame.length, 0, sll, 20),
      `Cannot send a neighbour advertisement for "${ip}"`,
    );
  }

  close(): void {
    closeFd(this.fd);
    this.fd = -1;
  }
}

/** Whether the interface forwards IPv6 (read per network namespace from /proc/sys). */
export function ipv6Forwarding(ifname: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, "utf8").trim() === "1";
  } catch {
    return false;
  }
}
