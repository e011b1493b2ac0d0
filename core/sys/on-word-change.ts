// Waiting for another thread to move a shared word, without blocking the event loop: the one place that
// knows Atomics.waitAsync's two outcomes. Used where a slot freed in one data-path worker must wake the
// others (gate-fds.ts for paused listeners, shared-queue-link.ts for queued requests).

/**
 * Call `then` once `words[i]` is no longer `from`, or after `maxMs`. If it has already moved (the wait
 * would not sleep), `then` runs in a microtask: a change between the caller's load and the wait is
 * never missed.
 */
export function onWordChange(
  words: Int32Array,
  i: number,
  from: number,
  maxMs: number,
  then: () => void,
): void {
  const r = Atomics.waitAsync(words, i, from, maxMs);
  if (r.async) void r.value.then(then);
  else queueMicrotask(then);
}
