// Test helper: send hand-made VRRP packets from a namespace.
// `bun test/vrrp/inject.ts IFNAME SRC DST TTL HEX [COUNT]`.

import { ifIndex } from "../../core/sys/iface.ts";
import { VrrpSocket } from "../../core/sys/vrrpsocket.ts";

const [ifname, src, dst, ttl, hex, count] = process.argv.slice(2);
if (!ifname || !src || !dst || !ttl || !hex) {
  console.error("usage: inject.ts IFNAME SRC DST TTL HEX [COUNT]");
  process.exit(2);
}
const s = new VrrpSocket({ ifname, ifindex: ifIndex(ifname), src, multicast: false, ttl: Number(ttl) });
const payload = Uint8Array.from(hex.match(/../g)!.map((b) => Number.parseInt(b, 16)));
for (let i = 0; i < Number(count ?? 1); i++) s.send(dst, payload);
s.close();
