// Gratuitous ARP: a broadcast ARP request for the VIP from the VIP, so neighbours repoint their caches
// to this host's MAC after a failover.

import { AF_PACKET, check, closeFd, inetAton, libc, SOCK_CLOEXEC, SOCK_RAW } from "../sys/libc.ts";

const ETH_P_ARP = 0x0806;

export function garpFrame(mac: Uint8Array, ip: string): Uint8Array {
  const f = new Uint8Array(60);
  const dv = new DataView(f.buffer);
  f.fill(0xff, 0, 6);
  f.set(mac, 6);
  dv.setUint16(12, ETH_P_ARP);
  dv.setUint16(14, 1); // Ethernet
  dv.setUint16(16, 0x0800); // IPv4
  f[18] = 6;
  f[19] = 4;
  dv.setUint16(20, 1); // request
  f.set(mac, 22);
  dv.setUint32(28, inetAton(ip));
  f.fill(0xff, 32, 38);
  dv.setUint32(38, inetAton(ip));
  return f;
}

/** A send-only packet socket (protocol 0: the kernel queues no incoming frames to it). */
export class GarpSender {
  private fd: number;

  constructor() {
    this.fd = check(
      libc().socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0),
      "Cannot open a packet socket for gratuitous ARP",
    );
  }

  send(ifindex: number, mac: Uint8Array, ip: string): void {
    const sll = new Uint8Array(20);
    const dv = new DataView(sll.buffer);
    dv.setUint16(0, AF_PACKET, true);
    dv.setUint16(2, ETH_P_ARP);
    dv.setInt32(4, ifindex, true);
    sll[11] = 6;
    sll.fill(0xff, 12, 18);
    const frame = garpFrame(mac, ip);
    check(libc().sendto(this.fd, frame, frame.length, 0, sll, 20), `Cannot send gratuitous ARP for "${ip}"`);
  }

  close(): void {
    closeFd(this.fd);
    this.fd = -1;
  }
}
