// What one queue over every worker costs (issue 17): how long after a slot freed in one thread
// (SharedQueueWords.freed: a bump and Atomics.notify) the other thread, asleep in Atomics.waitAsync as a
// worker with waiters is, runs; and what a passive-health `observe-error` message costs to send from
// a worker and to take in on the main thread.
// Usage: bun bench/queue-wake.ts [wakes=200] [messages=20000]

import { queueBuffer, SharedQueueWords } from "../core/sched/shared-queue.ts";

declare const self: Worker;
const wakes = Number(process.argv[2] ?? 200);
const messages = Number(process.argv[3] ?? 20_000);
const now = () => performance.timeOrigin + performance.now();

type ToBench = { buffer: SharedArrayBuffer } | { send: number };

if (Bun.isMainThread) {
  const buffer = queueBuffer(1, 2);
  const q = new SharedQueueWords(buffer);
  q.join(1, 0); // the other thread has a waiter: releases bump the word
  const other = new Worker(new URL(import.meta.url));
  const woke: number[] = [];
  let sent = 0;
  let got = 0;
  let first = 0;
  let last = 0;
  let done: (v: number) => void = () => {};
  other.onmessage = (e: MessageEvent<{ woke?: number; sendUs?: number }>) => {
    const m = e.data;
    if (m.woke !== undefined) woke.push(m.woke - sent);
    else if (m.sendUs !== undefined) done(m.sendUs);
    else {
      if (got++ === 0) first = performance.now();
      last = performance.now();
    }
  };
  other.postMessage({ buffer } satisfies ToBench);
  await Bun.sleep(200);
  for (let i = 0; i < wakes; i++) {
    sent = now();
    q.freed(0);
    await Bun.sleep(5);
  }
  woke.sort((a, b) => a - b);
  const at = (p: number) => (woke[Math.min(woke.length - 1, Math.floor(woke.length * p))]! * 1000).toFixed(0);
  console.log(`wake across threads (µs): p50 ${at(0.5)} p90 ${at(0.9)} max ${at(1)} (${woke.length} wakes)`);
  const sendUs = await new Promise<number>((r) => {
    done = r;
    other.postMessage({ send: messages } satisfies ToBench);
  });
  console.log(`observe-error message: ${sendUs.toFixed(2)} µs to send in the worker`);
  console.log(
    `observe-error message: ${(((last - first) * 1000) / Math.max(1, got - 1)).toFixed(2)} µs each taken in`,
  );
  other.terminate();
} else {
  self.onmessage = (e: MessageEvent<ToBench>) => {
    const m = e.data;
    if ("buffer" in m) {
      const gen = new SharedQueueWords(m.buffer).gen;
      const step = (): void => {
        const r = Atomics.waitAsync(gen, 0, Atomics.load(gen, 0));
        const after = () => {
          self.postMessage({ woke: now() });
          step();
        };
        if (r.async) r.value.then(after);
        else queueMicrotask(after);
      };
      step();
      return;
    }
    const t0 = performance.now();
    for (let i = 0; i < m.send; i++)
      self.postMessage({ type: "observe-error", errors: [["app", "bad", Date.now()]] });
    self.postMessage({ sendUs: ((performance.now() - t0) * 1000) / m.send });
  };
}
