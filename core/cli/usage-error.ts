// Wrong words on the command line. `code` is always "usage" (core/errors' table); `reason` says which
// rule was broken, so callers and tests branch on it instead of on the message. The exit code follows
// the command's convention (2, or 3 for Nagios).

import { TcpvsError } from "../errors/tcpvs-error.ts";

export type UsageReason =
  | "unknown_command"
  | "unknown_option"
  | "missing_value"
  | "unexpected_value"
  | "invalid_value"
  | "bad_arguments";

export class UsageError extends TcpvsError {
  declare readonly code: "usage";
  readonly reason: UsageReason;
  readonly exitCode: number;
  /** The subcommand whose --help the message points to; set where it is known (parser, cmd/main.ts). */
  command: string | undefined;
  constructor(reason: UsageReason, message: string, exitCode = 2, command?: string) {
    super("usage", message);
    this.name = "UsageError";
    this.reason = reason;
    this.exitCode = exitCode;
    this.command = command;
  }
}
