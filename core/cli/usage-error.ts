// Wrong words on the command line. The code says which rule was broken, so callers and tests branch on
// it instead of on the message; the exit code follows the command's convention (2, or 3 for Nagios).

export type UsageErrorCode =
  | "unknown_command"
  | "unknown_option"
  | "missing_value"
  | "unexpected_value"
  | "invalid_value"
  | "bad_arguments";

export class UsageError extends Error {
  readonly code: UsageErrorCode;
  readonly exitCode: number;
  constructor(code: UsageErrorCode, message: string, exitCode = 2) {
    super(message);
    this.name = "UsageError";
    this.code = code;
    this.exitCode = exitCode;
  }
}
