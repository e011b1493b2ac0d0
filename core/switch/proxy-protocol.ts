// PROXY protocol headers (v1 text, v2 binary) that tell a server who the client really is.

import { formatIp, type IpAddress, mapped16, parseIp } from "../net/ip.ts";

export interface ProxyAddrs {
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
}

const V2_SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** IPv4, or IPv4-mapped IPv6 (what a dual-stack listener reports for an IPv4 client), as 4 bytes. */
function v4Of(a: IpAddress): Uint8Array | undefined {
  const b = mapped16(a);
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return undefined;
  return b[10] === 0xff && b[11] === 0xff ? b.subarray(12) : undefined;
}

/** Both addresses, as IPv4 when both are IPv4 (mapped or not), else as 16 bytes each; no zones. */
function addresses(a: ProxyAddrs): { four: boolean; src: Uint8Array; dst: Uint8Array } | undefined {
  const src = parseIp(a.srcIp);
  const dst = parseIp(a.dstIp);
  if (!src || !dst) return undefined;
  const s4 = v4Of(src);
  const d4 = v4Of(dst);
  if (s4 && d4) return { four: true, src: s4, dst: d4 };
  return { four: false, src: mapped16(src), dst: mapped16(dst) };
}

export function proxyV1(a: ProxyAddrs): string {
  const x = addresses(a);
  if (!x) return "PROXY UNKNOWN\r\n";
  const proto = x.four ? "TCP4" : "TCP6";
  return `PROXY ${proto} ${formatIp(x.src)} ${formatIp(x.dst)} ${a.srcPort} ${a.dstPort}\r\n`;
}

export function proxyV2(a: ProxyAddrs): Uint8Array {
  const x = addresses(a);
  if (!x) {
    // LOCAL command, no address block.
    return Uint8Array.from([...V2_SIG, 0x20, 0x00, 0x00, 0x00]);
  }
  const addrLen = x.four ? 12 : 36;
  const b = new Uint8Array(16 + addrLen);
  b.set(V2_SIG, 0);
  b[12] = 0x21; // version 2, PROXY
  b[13] = x.four ? 0x11 : 0x21; // TCP over IPv4 / IPv6
  b[14] = addrLen >> 8;
  b[15] = addrLen & 0xff;
  const dv = new DataView(b.buffer);
  b.set(x.src, 16);
  b.set(x.dst, 16 + x.src.length);
  dv.setUint16(16 + 2 * x.src.length, a.srcPort);
  dv.setUint16(18 + 2 * x.src.length, a.dstPort);
  return b;
}
