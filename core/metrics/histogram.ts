// A fixed-bucket histogram the request path can feed without allocating: one linear scan over a
// dozen bounds and three number writes.

/** Upper bounds in seconds for request latency, from half a millisecond to ten seconds. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export class Histogram {
  readonly bounds: Float64Array;
  /** Per-bucket counts, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[] = LATENCY_BUCKETS) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!))
        throw new RangeError(`Give histogram bounds in rising order: ${bounds}`);
    }
    this.bounds = Float64Array.from(bounds);
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    if (!(seconds >= 0)) return; // NaN or negative: a clock glitch, not a sample
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  /** Add another histogram's counts over the same bounds (a data-path worker's, core/metrics/metrics-batch.ts). */
  add(counts: ArrayLike<number>, sum: number, count: number): void {
    if (counts.length !== this.counts.length)
      throw new RangeError(`Give counts over the same ${this.counts.length} buckets, not ${counts.length}`);
    for (let i = 0; i < counts.length; i++) this.counts[i]! += counts[i]!;
    this.sum += sum;
    this.count += count;
  }

  /** Cumulative counts per bound, then +Inf; what the exposition format wants. */
  cumulative(): number[] {
    const out: number[] = [];
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i]!;
      out.push(acc);
    }
    return out;
  }
}
