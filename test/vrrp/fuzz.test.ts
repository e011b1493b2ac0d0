// A bad VRRP packet is counted and dropped, never a crash: real keepalived adverts (v2, v3, v3 over
// IPv6) with random bytes changed, cut short or padded, and packets of random bytes, all go through the
// receive validation, which must answer with an advert or a drop reason every time. A mutation that
// leaves the packet valid must decode to a priority and interval in range.

import { expect, test } from "bun:test";
import { type Expect, parseIpv4, parseIpv6, validateAdvert, validateVrrp } from "../../core/vrrp/packet.ts";

import { seeded } from "../fuzz.ts";
import { E_V2, E_V3, E_V6, ipBytes, KA_V2_PRIO150, KA_V3_PRIO150, KA6_PRIO150 } from "./captures.ts";

const rnd = seeded(112);

function mutate(p: Uint8Array): Uint8Array {
  let b = Uint8Array.from(p);
  for (let k = 1 + rnd(3); k > 0; k--) {
    const op = rnd(4);
    if (op === 0 && b.length > 0) b[rnd(b.length)] = rnd(256);
    else if (op === 1 && b.length > 0) b = b.subarray(0, rnd(b.length));
    else if (op === 2) b = Uint8Array.from([...b, ...Array.from({ length: 1 + rnd(20) }, () => rnd(256))]);
    else if (b.length > 0) {
      const at = rnd(b.length);
      b[at] = b[at]! ^ (1 << rnd(8));
    }
  }
  return b;
}

type Verdict = ReturnType<typeof validateAdvert>;

function judge(label: string, pkt: Uint8Array, f: (p: Uint8Array) => Verdict): "ok" | "dropped" {
  let v: Verdict;
  try {
    v = f(pkt);
  } catch (e) {
    throw new Error(`Validation threw on ${label} ${Buffer.from(pkt).toString("hex")}: ${e}`);
  }
  if (!v.ok) {
    expect(typeof v.reason).toBe("string");
    return "dropped";
  }
  expect(v.advert.priority).toBeGreaterThanOrEqual(0);
  expect(v.advert.priority).toBeLessThanOrEqual(255);
  expect(v.advert.intervalMs).toBeGreaterThan(0);
  return "ok";
}

test("mutated and random adverts are validated to an advert or a drop reason, never a throw", () => {
  const v4 = (e: Expect) => (p: Uint8Array) => validateAdvert(p, e);
  const v6 = (p: Uint8Array) => {
    const ip = parseIpv6(p);
    return ip ? validateVrrp(ip, E_V6) : ({ ok: false, reason: "short" } as Verdict);
  };
  const tally = { ok: 0, dropped: 0 };
  const v2ip = ipBytes(KA_V2_PRIO150);
  const v3ip = ipBytes(KA_V3_PRIO150);
  const v6ip = ipBytes(KA6_PRIO150);
  // The unmutated captures pass: the harness itself can tell a good packet.
  expect(judge("v2", v2ip, v4(E_V2))).toBe("ok");
  expect(judge("v3", v3ip, v4(E_V3))).toBe("ok");
  expect(judge("v6", v6ip, v6)).toBe("ok");
  for (let i = 0; i < 3000; i++) {
    tally[judge("v2", mutate(v2ip), v4(E_V2))]++;
    tally[judge("v3", mutate(v3ip), v4(E_V3))]++;
    tally[judge("v6", mutate(v6ip), v6)]++;
    const noise = Uint8Array.from({ length: rnd(80) }, () => rnd(256));
    tally[judge("noise", noise, v4(E_V3))]++;
  }
  expect(tally.dropped).toBeGreaterThan(6000);
  // Padding after a valid advert and flips in unchecked bits (e.g. the IP id) keep some packets valid.
  expect(tally.ok).toBeGreaterThan(50);
  // parseIpv4 on noise never throws either.
  for (let i = 0; i < 2000; i++) parseIpv4(Uint8Array.from({ length: rnd(64) }, () => rnd(256)));
});
