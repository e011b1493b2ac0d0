// Every way the control channel turns a peer away, in the log without letting the peer flood it: one
// WARN line per kind of refusal at once, then one per interval with the count and the last reason
// (ThrottledWarn keyed by the kind). A flood of bad tokens costs two lines per interval, not one per try.

import type { LogFields, Logger } from "../log/logger.ts";
import { ThrottledWarn, type ThrottledWarnOptions } from "../log/throttled-warn.ts";

export type RefusalKind =
  | "bad_token"
  | "forbidden_origin"
  | "not_found"
  | "not_websocket"
  | "too_many_connections"
  | "frame_too_large"
  | "bad_message"
  | "rate_limited"
  | "flooding"
  | "too_slow"
  | "no_credentials";

const MESSAGE: Record<RefusalKind, string> = {
  bad_token: "Control channel refused a connection with a bad token",
  forbidden_origin: "Control channel refused a browser (Origin header)",
  no_credentials: "Control channel refused a connection whose credentials it could not read",
  not_found: "Control channel refused a request for an unknown path",
  not_websocket: "Control channel refused a request that is not a WebSocket upgrade",
  too_many_connections: "Control channel refused a connection: too many open",
  frame_too_large: "Control channel closed a connection that sent a frame over the limit",
  bad_message: "Control channel refused a message",
  rate_limited: "Control channel refused messages over the rate limit",
  flooding: "Control channel cut off a client that kept flooding",
  too_slow: "Control channel cut off a client that does not read its events",
};

export class ControlRefusals {
  private readonly warn: ThrottledWarn;

  constructor(logger: Logger, opts: ThrottledWarnOptions = {}) {
    this.warn = new ThrottledWarn(logger, { maxKeys: 32, ...opts });
  }

  /** `peer` was refused for `kind`; `reason` says what exactly (the last one is kept for the summary). */
  refuse(kind: RefusalKind, peer: string, reason: string, extra: LogFields = {}): void {
    this.warn.warn(kind, MESSAGE[kind], { kind, peer, ...extra }, reason);
  }

  /** Log the counts still pending (at stop). */
  close(): void {
    this.warn.close();
  }
}
