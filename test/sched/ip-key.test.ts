// ipKey parses client addresses without allocating, so it keeps its own scanner; this holds it equal to
// the one parser (core/net/ip.ts) on many random addresses in many spellings, and on mutated text.

import { describe, expect, test } from "bun:test";
import { formatIp, parseIp } from "../../core/net/ip.ts";
import { ipKey, ipKeyOf } from "../../core/sched/ip-key.ts";
import { mutateText, seeded } from "../fuzz.ts";

const rnd = seeded(0x1b6e);
const GRANULARITIES: Array<[number, number]> = [
  [0xffffffff, 128],
  [0xffffff00, 64],
  [0xffff0000, 48],
  [0xfffffff0, 127],
];

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rnd(4) === 0 ? 0 : rnd(256);
  // Runs of zero groups, so "::" appears in many places.
  if (n === 16 && rnd(2) === 0) b.fill(0, 2 * rnd(8), 2 * rnd(8) + 2 * rnd(4));
  return b;
}

/** Other ways to write the address of canonical IPv6 text. */
function spellings(b: Uint8Array): string[] {
  const groups: string[] = [];
  for (let k = 0; k < 8; k++) groups.push(((b[2 * k]! << 8) | b[2 * k + 1]!).toString(16));
  const out = [
    formatIp(b),
    groups.join(":"),
    groups
      .map((g) => g.padStart(4, "0"))
      .join(":")
      .toUpperCase(),
  ];
  // "::" over any run of zero groups, not only the longest.
  const zero = groups.indexOf("0");
  if (zero >= 0) {
    let end = zero;
    while (end < 8 && groups[end] === "0") end++;
    out.push(`${groups.slice(0, zero).join(":")}::${groups.slice(end).join(":")}`);
  }
  out.push(`${groups.slice(0, 6).join(":")}:${b[12]}.${b[13]}.${b[14]}.${b[15]}`);
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) out.push(`${formatIp(b)}%eth0`);
  return out;
}

function reference(text: string, mask: number, prefix: number): number {
  // ipKey ignores a zone on any IPv6 text; the parser takes it only on a link-local address.
  const pct = text.indexOf("%");
  if (pct < 0) return ipKeyOf(parseIp(text), text, mask, prefix);
  const base = parseIp(text.slice(0, pct));
  return ipKeyOf(base?.family === 6 ? base : undefined, text, mask, prefix);
}

describe("ipKey agrees with the parser", () => {
  test("random IPv4, IPv6, mapped and link-local addresses in every spelling", () => {
    let n = 0;
    for (let i = 0; i < 3000; i++) {
      const texts: string[] = [];
      const four = randomBytes(4);
      texts.push(`${four[0]}.${four[1]}.${four[2]}.${four[3]}`, `::ffff:${four.join(".")}`);
      const six = randomBytes(16);
      if (rnd(3) === 0) six.set([0xfe, 0x80 | rnd(64)], 0);
      if (rnd(5) === 0) six.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 0);
      texts.push(...spellings(six));
      for (const t of texts) {
        for (const [mask, prefix] of GRANULARITIES) {
          expect([t, parseIp(t) !== undefined]).toEqual([t, true]);
          expect([t, ipKey(t, mask, prefix)]).toEqual([t, reference(t, mask, prefix)]);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(50_000);
  });

  test("mutated text: the same address, or the same fallback hash of text that is no address", () => {
    const m = { alphabet: "0123456789abcdefABCDEF:.%g ", maxEdits: 3, maxRepeat: 4, cut: true };
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const seed =
        rnd(2) === 0 ? `${rnd(256)}.${rnd(256)}.${rnd(256)}.${rnd(256)}` : formatIp(randomBytes(16));
      const t = mutateText(seed, rnd, m);
      if (parseIp(t) === undefined) refused++;
      expect([t, ipKey(t, 0xffffffff, 128)]).toEqual([t, reference(t, 0xffffffff, 128)]);
    }
    expect(refused).toBeGreaterThan(1000);
  });
});
