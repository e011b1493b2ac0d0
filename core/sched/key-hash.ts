// A 64-bit hash of a string key as two 32-bit words, for the shared tables that must tell clients
// apart (rate-limit counters, per-source connection counts): two FNV-1a passes with different primes
// and offsets, each finished with murmur3's avalanche. A JS loop: the keys are short (an address, or a
// header value cut to 64 characters) and this costs less than Bun.hash's 64-bit BigInt result.

/** Where keyHash leaves its result: [low word, high word]. */
export const hashed = new Int32Array(2);

function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Hash `key` into `hashed` (no allocation: one call per request). */
export function keyHash(key: string): void {
  let a = 0x811c9dc5;
  let b = 0x3c6ef372 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  hashed[0] = fmix(a);
  hashed[1] = fmix(b ^ Math.imul(a, 0x27d4eb2d));
}
