// The PROXY protocol header a client connection from an L4 balancer begins with (v1 text or v2
// binary; the formats as proxy-protocol.ts writes them for servers): who the client really is. Pure:
// fed the connection's first bytes until it has the whole header or knows it is bad.

import { formatIp, parseIp } from "../net/ip.ts";

const V2_SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
/** A v1 line is at most 107 bytes with its CRLF. */
const V1_MAX = 107;
/** v2 may carry TLVs; more than this is not a header we take. */
const V2_MAX = 16 + 1024;

export type ProxyParse =
  | { readonly state: "more" }
  | { readonly state: "bad"; readonly error: string }
  /** `used` bytes were the header; ip undefined: keep the socket's address (UNKNOWN, LOCAL). */
  | { readonly state: "done"; readonly used: number; readonly ip?: string; readonly port?: number };

const MORE: ProxyParse = { state: "more" };
const bad = (error: string): ProxyParse => ({ state: "bad", error });

function port(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

function v1(b: Uint8Array): ProxyParse {
  let end = -1;
  for (let i = 0; i < b.length && i < V1_MAX; i++)
    if (b[i] === 13) {
      end = i;
      break;
    }
  if (end < 0) return b.length >= V1_MAX ? bad("PROXY v1 line longer than 107 bytes") : MORE;
  if (end + 1 >= b.length) return MORE;
  if (b[end + 1] !== 10) return bad("PROXY v1 line not ended by CRLF");
  const used = end + 2;
  const f = Buffer.from(b.buffer, b.byteOffset, end).toString("latin1").split(" ");
  if (f[1] === "UNKNOWN") return { state: "done", used };
  if (f.length !== 6 || (f[1] !== "TCP4" && f[1] !== "TCP6")) return bad("malformed PROXY v1 line");
  const src = parseIp(f[2]!);
  const dst = parseIp(f[3]!);
  const sp = port(f[4]);
  const want = f[1] === "TCP4" ? 4 : 6;
  if (
    !src ||
    !dst ||
    src.family !== want ||
    dst.family !== want ||
    sp === undefined ||
    port(f[5]) === undefined
  )
    return bad("malformed PROXY v1 addresses");
  return { state: "done", used, ip: formatIp(src), port: sp };
}

function v2(b: Uint8Array): ProxyParse {
  if (b.length < 16) return MORE;
  if (b[12]! >> 4 !== 2) return bad("PROXY v2 header of another version");
  const cmd = b[12]! & 0x0f;
  if (cmd > 1) return bad("PROXY v2 header with an unknown command");
  const len = (b[14]! << 8) | b[15]!;
  if (16 + len > V2_MAX) return bad("PROXY v2 header too long");
  if (b.length < 16 + len) return MORE;
  const used = 16 + len;
  const fam = b[13]! >> 4;
  // LOCAL (a balancer's own health check) and UNSPEC keep the connection's address.
  if (cmd === 0 || fam === 0) return { state: "done", used };
  const dv = new DataView(b.buffer, b.byteOffset + 16, len);
  if (fam === 1) {
    if (len < 12) return bad("PROXY v2 IPv4 block too short");
    return { state: "done", used, ip: formatIp(b.slice(16, 20)), port: dv.getUint16(8) };
  }
  if (fam === 2) {
    if (len < 36) return bad("PROXY v2 IPv6 block too short");
    return { state: "done", used, ip: formatIp(b.slice(16, 32)), port: dv.getUint16(32) };
  }
  return bad("PROXY v2 header of an unsupported address family");
}

/** Read the PROXY header at the start of `b` (all bytes received so far). */
export function parseProxyHeader(b: Uint8Array): ProxyParse {
  if (b.length === 0) return MORE;
  if (b[0] === 0x0d) {
    for (let i = 0; i < V2_SIG.length && i < b.length; i++)
      if (b[i] !== V2_SIG[i]) return bad("missing PROXY header");
    return b.length < V2_SIG.length ? MORE : v2(b);
  }
  const p = "PROXY ";
  for (let i = 0; i < p.length && i < b.length; i++)
    if (b[i] !== p.charCodeAt(i)) return bad("missing PROXY header");
  return b.length < p.length ? MORE : v1(b);
}
