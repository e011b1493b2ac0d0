// What sharing rate limits and per-source counts costs (issues 17 and 18): take() of the process's own
// limiter (LocalRateLimiter, workers = 1) against the one in shared memory (SharedRateLimiter), alone
// and with a second thread taking on the same table at once; enter + leave of max_connections_per_source
// likewise; and the memory each keeps per key.
// Usage: bun bench/shared-limits.ts [takes=1000000] [keys=100000]

import { LocalRateLimiter, type RateLimiter } from "../core/switch/rate-limiter.ts";
import { rateLimitBuffer, SharedRateLimiter } from "../core/switch/shared-rate-limiter.ts";
import { SharedSourceCounts, sourceCountsBuffer } from "../core/switch/shared-source-counts.ts";
import { type SourceCounter, SourceCounts } from "../core/switch/source-counts.ts";

declare const self: Worker;
const takes = Number(process.argv[2] ?? 1_000_000);
const KEYS = Number(process.argv[3] ?? 100_000);
const ips = Array.from({ length: 4096 }, (_, i) => `10.${i >> 8}.${i & 255}.${(i * 7) & 255}`);

/** ns per take over 4096 client addresses, a rate none of them reaches (every take writes). */
function takeNs(l: RateLimiter, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) l.take(ips[i & 4095]!, 1_800_000_000_000 + (i >> 10));
  return ((performance.now() - t0) * 1e6) / n;
}

function enterNs(c: SourceCounter, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const ip = ips[i & 4095]!;
    c.enter(ip, 10);
    c.leave(ip);
  }
  return ((performance.now() - t0) * 1e6) / n;
}

const shared = (b: SharedArrayBuffer) => new SharedRateLimiter(1_000_000, 1000, 0, b);

/** Bytes of JS heap that `keys` keys of a LocalRateLimiter hold (IPv4 keys, as `source`). */
function localBytesPerKey(keys: number): number {
  Bun.gc(true);
  const before = process.memoryUsage().heapUsed;
  const l = new LocalRateLimiter(1, 60_000, 0, keys);
  for (let i = 0; i < keys; i++) l.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 0);
  Bun.gc(true);
  const after = process.memoryUsage().heapUsed;
  if (l.size !== keys) throw new Error("keys lost");
  return (after - before) / keys;
}

if (Bun.isMainThread) {
  console.log(`ns per call, ${takes} calls over 4096 addresses; max_keys ${KEYS}\n`);
  console.log("| operation | local (workers = 1) | shared, alone | shared, 2 threads at once |");
  console.log("|---|---|---|---|");
  const local = new LocalRateLimiter(1_000_000, 1000, 0, KEYS);
  takeNs(local, takes / 10);
  const lt = takeNs(local, takes);
  const b = rateLimitBuffer(KEYS);
  takeNs(shared(b), takes / 10);
  const alone = takeNs(shared(b), takes);
  const other = new Worker(new URL(import.meta.url));
  const theirs = new Promise<[number, number]>((resolve) => {
    other.onmessage = (e: MessageEvent<[number, number]>) => resolve(e.data);
  });
  const s = sourceCountsBuffer(65536, 2);
  other.postMessage({ b, s });
  const mine = takeNs(shared(b), takes);
  const mineEnter = enterNs(new SharedSourceCounts(s, 2, 0), takes);
  const [theirTake, theirEnter] = await theirs;
  other.terminate();
  console.log(`| take() | ${lt.toFixed(0)} | ${alone.toFixed(0)} | ${((mine + theirTake) / 2).toFixed(0)} |`);
  const lc = new SourceCounts();
  enterNs(lc, takes / 10);
  const le = enterNs(lc, takes);
  const sc = new SharedSourceCounts(sourceCountsBuffer(65536, 2), 2, 0);
  enterNs(sc, takes / 10);
  const se = enterNs(sc, takes);
  console.log(
    `| enter + leave (per source) | ${le.toFixed(0)} | ${se.toFixed(0)} | ${((mineEnter + theirEnter) / 2).toFixed(0)} (both overlap only in part) |`,
  );
  console.log(
    `\nbytes per key at max_keys ${KEYS}: local ${localBytesPerKey(KEYS).toFixed(0)} (JS heap, IPv4 keys, measured), shared ${(b.byteLength / KEYS).toFixed(1)} (${b.byteLength} bytes, fixed at start)`,
  );
} else {
  self.onmessage = (e: MessageEvent<{ b: SharedArrayBuffer; s: SharedArrayBuffer }>) => {
    const t = takeNs(shared(e.data.b), takes);
    self.postMessage([t, enterNs(new SharedSourceCounts(e.data.s, 2, 1), takes)]);
  };
}
