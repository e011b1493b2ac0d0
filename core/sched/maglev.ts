// Maglev table population (Eisenbud et al., NSDI 2016, section 3.4), extended with weights the way
// IPVS mh does it: in each round server i claims `turns[i]` slots instead of one. Each server walks
// its own permutation of the slots, (offset + j * skip) mod M, and claims the first free one.

import { hashString } from "./hash.ts";

const OFFSET_SEED = 0x2545f491;
const SKIP_SEED = 0x9e3779b1;

export function maglevOffset(id: string, size: number): number {
  return hashString(id, OFFSET_SEED) % size;
}

/** In [1, size - 1]: with a prime size every skip visits every slot. */
export function maglevSkip(id: string, size: number): number {
  return (hashString(id, SKIP_SEED) % (size - 1)) + 1;
}

/** Slot -> index into `ids`. `size` must be prime; `turns[i] >= 1`. */
export function populateMaglev(ids: readonly string[], turns: readonly number[], size: number): Int32Array {
  const table = new Int32Array(size).fill(-1);
  const n = ids.length;
  if (n === 0) return table;
  const pos = new Float64Array(n);
  const skip = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    pos[i] = maglevOffset(ids[i]!, size);
    skip[i] = maglevSkip(ids[i]!, size);
  }
  let filled = 0;
  for (;;) {
    for (let i = 0; i < n; i++) {
      for (let t = turns[i]!; t > 0; t--) {
        let c = pos[i]!;
        while (table[c]! >= 0) c = (c + skip[i]!) % size;
        table[c] = i;
        pos[i] = (c + skip[i]!) % size;
        if (++filled === size) return table;
      }
    }
  }
}
