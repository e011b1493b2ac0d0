// Non-allocating string hashing for the hashing schedulers: FNV-1a over UTF-16 code units, then the
// murmur3 finaliser so the low bits are well mixed (we reduce modulo small table sizes).

export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Feed the code units of `s` into an FNV-1a state. */
export function fnvString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** Feed `s[from, to)` into an FNV-1a state, lower-casing ASCII letters when `fold` is set. */
export function fnvRange(h: number, s: string, from: number, to: number, fold: boolean): number {
  for (let i = from; i < to; i++) {
    let c = s.charCodeAt(i);
    if (fold && c >= 65 && c <= 90) c += 32;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h;
}

/** Feed a 32-bit integer into an FNV-1a state, a byte at a time. */
export function fnvInt(h: number, n: number): number {
  h = Math.imul(h ^ (n & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((n >>> 8) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((n >>> 16) & 0xff), FNV_PRIME);
  return Math.imul(h ^ (n >>> 24), FNV_PRIME);
}

/** murmur3's 32-bit finaliser: spreads every input bit over the output. Returns an unsigned value. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Start state for a seeded hash; different seeds give independent hash functions. */
export function fnvStart(seed: number): number {
  return seed === 0 ? FNV_OFFSET : fnvInt(FNV_OFFSET, seed);
}

/** Unsigned 32-bit hash of a whole string. */
export function hashString(s: string, seed = 0): number {
  return fmix32(fnvString(fnvStart(seed), s));
}

/** A fresh, well-mixed value from `h` for the `attempt`-th fallback probe. */
export function rehash(h: number, attempt: number): number {
  return fmix32((h + Math.imul(attempt, 0x9e3779b9)) | 0);
}

export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}
