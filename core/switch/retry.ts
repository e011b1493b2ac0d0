// Whether a failed attempt at a server may be made again (on the server the scheduler picks next).
// Pure. A retry must never let a server see a request twice that it may have acted on.

import type { UpFailure } from "./upstream.ts";

/** Methods a server may see twice without harm (RFC 9110 9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** Give up: answer the client (502/504) or cut it. */
export const GIVE_UP = 0;
/** Try again; it counts against `retries`. */
export const RETRY = 1;
/** Try again for free: a pooled connection the server had closed, not the server's fault. */
export const RETRY_FREE = 2;

/**
 * `nothingBack`: no response byte came back (to us or the client); `replayable`: every request byte
 * is still kept; `reused`: the connection served an earlier exchange; `tries`: retries made so far.
 */
export function retryDecision(
  why: UpFailure,
  nothingBack: boolean,
  replayable: boolean,
  reused: boolean,
  method: string,
  tries: number,
  maxRetries: number,
): number {
  // A failure of this host's (out of descriptors ...) would fail the same way on any server.
  if (why === "local" || !nothingBack || !replayable) return GIVE_UP;
  // Refused or never connected: the server saw nothing. Closed without a word: it may have seen the
  // request, so only a reused connection (the server timed it out) or an idempotent method qualifies.
  const neverSent = why === "refused" || why === "connect_timeout";
  if (!neverSent && !(why === "closed" && (reused || IDEMPOTENT.has(method)))) return GIVE_UP;
  if (why === "closed" && reused) return RETRY_FREE;
  return tries < maxRetries ? RETRY : GIVE_UP;
}
