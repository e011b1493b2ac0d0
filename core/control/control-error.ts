// Errors of the control channel, with stable codes both the wire protocol and `tcpvs status` use.

import { TcpvsError } from "../errors/tcpvs-error.ts";

export type ControlErrorCode =
  | "bad_request"
  | "bad_version"
  | "unknown_method"
  | "not_found"
  | "rate_limited"
  | "action_failed"
  | "unavailable"
  /** The peer may only read (a control_group member): actions are refused. */
  | "read_only"
  // Client side: why a daemon could not be reached.
  | "no_socket"
  | "refused"
  | "permission_denied"
  | "bad_token"
  | "forbidden"
  | "connect_failed"
  | "timeout"
  | "closed"
  | "bad_config";

export class ControlError extends TcpvsError {
  declare readonly code: ControlErrorCode;
  /** Request id the error answers, when known. */
  id: number | string | null = null;

  constructor(code: ControlErrorCode, message: string) {
    super(code, message);
    this.name = "ControlError";
  }
}
