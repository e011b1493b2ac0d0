// What the one top-level catch (cmd/main.ts) prints and exits with, read from the error's class and
// code, never from its message: usage errors carry their exit code (2, Nagios 3) and a pointer to
// --help; config errors (and a keepalived.conf `tcpvs import` cannot parse) exit 2; any other TcpvsError exits 1 and shows its code; anything else is a bug
// and exits 1 with its message alone (its stack with TCPVS_DEBUG set).

import { TcpvsError } from "../errors/tcpvs-error.ts";
import { UsageError } from "./usage-error.ts";

export interface FailureReport {
  text: string;
  exitCode: number;
}

export function failureReport(err: unknown, debug = false): FailureReport {
  if (err instanceof UsageError)
    return { text: `tcpvs: ${err.message}\nRun "tcpvs --help" for usage.\n`, exitCode: err.exitCode };
  if (!(err instanceof TcpvsError)) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { text: `tcpvs: ${e.message}\n${debug ? `${e.stack}\n` : ""}`, exitCode: 1 };
  }
  switch (err.code) {
    case "usage":
    case "config_not_found":
    case "config_syntax":
    case "config_invalid":
    case "keepalived_syntax":
      return { text: `tcpvs: ${err.message}\n`, exitCode: 2 };
  }
  return { text: `tcpvs: ${err.message} (${err.code})\n${debug ? `${err.stack}\n` : ""}`, exitCode: 1 };
}
