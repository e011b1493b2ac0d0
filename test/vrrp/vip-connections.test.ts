import { describe, expect, test } from "bun:test";
import { connectionsTo } from "../../core/vrrp/vip-connections.ts";

// 10.77.0.100 is 64004D0A in host order on a little-endian machine; 10.77.0.3 is 03004D0A.
const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 64004D0A:0050 03004D0A:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 64004D0A:0050 03004D0A:C351 06 00000000:00000000 00:00000000 00000000     0        0 0 3
   3: 64004D0A:0050 03004D0A:C352 03 00000000:00000000 00:00000000 00000000     0        0 0 3
   4: 64004D0A:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1
   5: 01004D0A:1F90 03004D0A:C353 01 00000000:00000000 00:00000000 00000000     0        0 5 1
`;

describe("connections on VIPs from /proc/net/tcp", () => {
  test("established and half-open connections on a VIP count; listeners, TIME_WAIT and others do not", () => {
    expect(connectionsTo(TABLE, ["10.77.0.100"], true)).toBe(2);
    expect(connectionsTo(TABLE, ["10.77.0.1"], true)).toBe(1);
    expect(connectionsTo(TABLE, ["10.77.0.200"], true)).toBe(0);
  });
  test("a big-endian host prints the address in network order", () => {
    expect(connectionsTo(TABLE.replaceAll("64004D0A", "0A4D0064"), ["10.77.0.100"], false)).toBe(2);
  });
});
