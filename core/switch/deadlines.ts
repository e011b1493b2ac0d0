// The waits of a client connection in HTTP mode, each bounded by one timeout of the virtual server,
// and what happens when one runs out. Pure: the connection applies the verdict.

import type { VirtualServerConfig } from "../config/types.ts";

/** What the connection is waiting for (at most one thing at a time). */
export const D_NONE = 0;
/** A request head; also a chunked body held before any server is chosen (no slow body either). */
export const D_HEADER = 1;
/** The next request on a kept-alive connection. */
export const D_KEEPALIVE = 2;
/** The server's connection to open. */
export const D_CONNECT = 3;
/** The server's response head (restarted by each request byte sent meanwhile). */
export const D_RESPONSE = 4;
/** Any byte either way: an upgraded tunnel (idle_timeout). */
export const D_IDLE = 5;
/** The rest of a response whose head the client has: the server's next body byte. */
export const D_SERVER = 6;
/** The client: its next request body byte, or taking bytes it has not read (a response, a close). */
export const D_CLIENT = 7;
/** A server slot, in the pool's queue (queue_timeout; the connection sets this deadline itself). */
export const D_QUEUE = 8;

/** The timeout (ms) for a wait; 0 means none. */
export function timeoutFor(kind: number, cfg: VirtualServerConfig): number {
  switch (kind) {
    case D_HEADER:
      return cfg.client_header_timeout;
    case D_KEEPALIVE:
      return cfg.client_keepalive_timeout;
    case D_CONNECT:
      return cfg.server_connect_timeout;
    case D_RESPONSE:
      return cfg.server_response_timeout;
    case D_IDLE:
      return cfg.idle_timeout;
    case D_SERVER:
      return cfg.server_timeout;
    case D_CLIENT:
      return cfg.client_timeout;
  }
  return 0;
}

/** Verdict actions. */
export const X_NOTHING = 0;
/** Cut the connection now. */
export const X_DESTROY = 1;
/** Close after what is queued. */
export const X_CLOSE = 2;
/** Answer the client with `status`/`code` and close (no server involved). */
export const X_ANSWER = 3;
/** The server did not connect in time: a failure that may be retried. */
export const X_CONNECT_FAILED = 4;
/** Give up on the server with `status`/`code` (or cut the client if the response had started). */
export const X_SERVER_FAILED = 5;
/** The client stalled: answer `status`/`code` (or cut it if the response had started); not the server's fault. */
export const X_CLIENT_FAILED = 6;
/** The queue wait ran out: leave the queue, answer 503. */
export const X_QUEUE_TIMEOUT = 7;

export interface Expiry {
  readonly act: number;
  /** Counter to bump, if any. */
  readonly counter: string | undefined;
  readonly status: number;
  readonly code: string;
}

function v(act: number, counter: string | undefined, status = 0, code = ""): Expiry {
  return { act, counter, status, code };
}

// Verdicts are constants: an expiry allocates nothing.
const NOTHING = v(X_NOTHING, undefined);
const DESTROY = v(X_DESTROY, undefined);
const HEADER_SILENT = v(X_CLOSE, "timeout.client_header");
const HEADER_408 = v(X_ANSWER, "timeout.client_header", 408, "client_header_timeout");
const KEEPALIVE = v(X_CLOSE, "timeout.client_keepalive");
const CONNECT = v(X_CONNECT_FAILED, undefined);
const RESPONSE = v(X_SERVER_FAILED, "timeout.server_response", 504, "server_response_timeout");
const IDLE_UP = v(X_SERVER_FAILED, "timeout.idle", 504, "idle_timeout");
const IDLE = v(X_DESTROY, "timeout.idle");
const TUNNEL_UP = v(X_SERVER_FAILED, "timeout.tunnel", 504, "idle_timeout");
const TUNNEL = v(X_DESTROY, "timeout.tunnel");
const SERVER = v(X_SERVER_FAILED, "timeout.server", 504, "server_timeout");
const CLIENT = v(X_CLIENT_FAILED, "timeout.client", 408, "client_timeout");
const QUEUE = v(X_QUEUE_TIMEOUT, "timeout.queue", 503, "queue_timeout");

/**
 * What to do when the wait `kind` ran out. `closing`: a graceful close was already under way;
 * `gotAny`: the client sent at least one byte; `hasServer`: a server connection is in the exchange.
 */
export function expiry(
  kind: number,
  closing: boolean,
  gotAny: boolean,
  hasServer: boolean,
  tunnel: boolean,
): Expiry {
  // A close that cannot finish (the client does not read) is cut.
  if (closing) return DESTROY;
  switch (kind) {
    case D_HEADER:
      // A connection that never sent a byte gets no answer (nothing to answer to).
      return gotAny ? HEADER_408 : HEADER_SILENT;
    case D_KEEPALIVE:
      return KEEPALIVE;
    case D_CONNECT:
      return hasServer ? CONNECT : NOTHING;
    case D_RESPONSE:
      return RESPONSE;
    case D_IDLE:
      if (tunnel) return hasServer ? TUNNEL_UP : TUNNEL;
      return hasServer ? IDLE_UP : IDLE;
    case D_SERVER:
      return hasServer ? SERVER : NOTHING;
    case D_CLIENT:
      return CLIENT;
    case D_QUEUE:
      return QUEUE;
  }
  return NOTHING;
}
