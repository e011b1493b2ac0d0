// IPv4/IPv6 CIDR matching for the `source` rule. Addresses become 16-byte arrays (IPv4 as mapped
// ::ffff:a.b.c.d) so one comparison serves both families.

export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

function parseV4(s: string, out: Uint8Array, at: number): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p)) return false;
    const n = Number(p);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

/** Parse an IPv4 or IPv6 address into 16 bytes; undefined when invalid. */
export function parseIp(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  if (!s.includes(":")) {
    out[10] = 0xff;
    out[11] = 0xff;
    return parseV4(s, out, 12) ? out : undefined;
  }
  let text = s;
  const pct = text.indexOf("%");
  if (pct >= 0) text = text.slice(0, pct);
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = text.lastIndexOf(":");
  if (text.indexOf(".", lastColon) >= 0) {
    const q = new Uint8Array(4);
    if (!parseV4(text.slice(lastColon + 1), q, 0)) return undefined;
    text = `${text.slice(0, lastColon + 1)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const dbl = text.indexOf("::");
  if (dbl !== text.lastIndexOf("::")) return undefined;
  const head = dbl >= 0 ? text.slice(0, dbl) : text;
  const rest = dbl >= 0 ? text.slice(dbl + 2) : "";
  const hs = head === "" ? [] : head.split(":");
  const rs = rest === "" ? [] : rest.split(":");
  const groups = 8;
  if (dbl < 0 && hs.length !== groups) return undefined;
  if (hs.length + rs.length > (dbl >= 0 ? groups - 1 : groups)) return undefined;
  const put = (g: string, idx: number): boolean => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
    const v = Number.parseInt(g, 16);
    out[idx * 2] = v >> 8;
    out[idx * 2 + 1] = v & 0xff;
    return true;
  };
  for (let i = 0; i < hs.length; i++) if (!put(hs[i]!, i)) return undefined;
  for (let i = 0; i < rs.length; i++) if (!put(rs[i]!, groups - rs.length + i)) return undefined;
  return out;
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf("/");
  const addr = slash < 0 ? s : s.slice(0, slash);
  const bytes = parseIp(addr);
  if (!bytes) return undefined;
  const v4 = !addr.includes(":");
  const max = v4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  }
  return { bytes, prefix: v4 ? prefix + 96 : prefix };
}

export function matchCidr(c: Cidr, ip: string): boolean {
  const b = parseIp(ip);
  if (!b) return false;
  let bits = c.prefix;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((b[i]! & mask) !== (c.bytes[i]! & mask)) return false;
  }
  return true;
}
