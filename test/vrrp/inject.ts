// Test helper: send hand-made VRRP packets from a namespace.
// `bun test/vrrp/inject.ts IFNAME SRC DST TTL HEX [COUNT]`.

import { ifIndex } from "../../core/sys/iface.ts";
import { VrrpSocket } from "../../core/vrrp/socket4.ts";
import { VrrpSocket6 } from "../../core/vrrp/socket6.ts";

const [ifname, src, dst, ttl, hex, count] = process.argv.slice(2);
if (!ifname || !src || !dst || !ttl || !hex) {
  console.error("usage: inject.ts IFNAME SRC DST TTL HEX [COUNT]");
  process.exit(2);
}
// TTL doubles as the IPv6 hop limit when SRC is an IPv6 address.
const o = { ifname, ifindex: ifIndex(ifname), src, multicast: false, ttl: Number(ttl) };
const s = src.includes(":") ? new VrrpSocket6(o) : new VrrpSocket(o);
const payload = Uint8Array.from(hex.match(/../g)!.map((b) => Number.parseInt(b, 16)));
for (let i = 0; i < Number(count ?? 1); i++) s.send(dst, payload);
s.close();
