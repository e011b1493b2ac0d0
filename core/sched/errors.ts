// Errors raised when a pool asks for a scheduler that does not exist or gives it bad options.
// The config validator normally catches these first through validateSchedulerOptions().

import { TcpvsError } from "../errors/tcpvs-error.ts";

export type SchedulerErrorCode = "unknown_scheduler" | "bad_scheduler_options";

export class SchedulerError extends TcpvsError {
  declare readonly code: SchedulerErrorCode;
  constructor(code: SchedulerErrorCode, message: string) {
    super(code, message);
    this.name = "SchedulerError";
  }
}
