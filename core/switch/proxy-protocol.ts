// PROXY protocol headers (v1 text, v2 binary) that tell a server who the client really is.

import { parseIp } from "./cidr.ts";

export interface ProxyAddrs {
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
}

const V2_SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

function isV4(ip: string): boolean {
  return !ip.includes(":") || ip.startsWith("::ffff:");
}

function v4Text(ip: string): string {
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}

export function proxyV1(a: ProxyAddrs): string {
  const four = isV4(a.srcIp) && isV4(a.dstIp);
  if (!parseIp(a.srcIp) || !parseIp(a.dstIp)) return "PROXY UNKNOWN\r\n";
  if (four) return `PROXY TCP4 ${v4Text(a.srcIp)} ${v4Text(a.dstIp)} ${a.srcPort} ${a.dstPort}\r\n`;
  return `PROXY TCP6 ${a.srcIp} ${a.dstIp} ${a.srcPort} ${a.dstPort}\r\n`;
}

export function proxyV2(a: ProxyAddrs): Uint8Array {
  const src = parseIp(a.srcIp);
  const dst = parseIp(a.dstIp);
  if (!src || !dst) {
    // LOCAL command, no address block.
    return Uint8Array.from([...V2_SIG, 0x20, 0x00, 0x00, 0x00]);
  }
  const four = isV4(a.srcIp) && isV4(a.dstIp);
  const addrLen = four ? 12 : 36;
  const b = new Uint8Array(16 + addrLen);
  b.set(V2_SIG, 0);
  b[12] = 0x21; // version 2, PROXY
  b[13] = four ? 0x11 : 0x21; // TCP over IPv4 / IPv6
  b[14] = addrLen >> 8;
  b[15] = addrLen & 0xff;
  const dv = new DataView(b.buffer);
  if (four) {
    b.set(src.subarray(12), 16);
    b.set(dst.subarray(12), 20);
    dv.setUint16(24, a.srcPort);
    dv.setUint16(26, a.dstPort);
  } else {
    b.set(src, 16);
    b.set(dst, 32);
    dv.setUint16(48, a.srcPort);
    dv.setUint16(50, a.dstPort);
  }
  return b;
}
