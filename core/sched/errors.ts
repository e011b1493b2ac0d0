// Errors raised when a pool asks for a scheduler that does not exist or gives it bad options.
// The config validator normally catches these first through validateSchedulerOptions().

export type SchedulerErrorCode = "SCHED_UNKNOWN" | "SCHED_OPTIONS";

export class SchedulerError extends Error {
  readonly code: SchedulerErrorCode;
  constructor(code: SchedulerErrorCode, message: string) {
    super(message);
    this.name = "SchedulerError";
    this.code = code;
  }
}
