// The config's [global] log_level / log_format, for serve and vrrp: a command-line flag wins over the
// file, the file over the built-in default. Neither can change while running (the logger is fixed at
// start), so a reload that changes them, or the control and metrics addresses, says a restart is needed.

import { type FlagValues, str } from "../cli/flags.ts";
import type { GlobalConfig } from "../config/types.ts";
import { Logger, log, setLogger } from "../log/logger.ts";

/** Replace the process logger when the file asks for something the flags did not set. Returns it. */
export function applyConfigLogging(flags: FlagValues, global: GlobalConfig): Logger {
  const level = str(flags, "log-level") === undefined ? global.log_level : log.level;
  const format = str(flags, "log-format") === undefined ? global.log_format : log.format;
  if (level !== log.level || format !== log.format) setLogger(new Logger({ level, format }));
  return log;
}

/** Global settings a reload cannot apply; named so the operator knows to restart. */
export function restartOnlyChanges(prev: GlobalConfig, next: GlobalConfig): string[] {
  const changed: string[] = [];
  if (prev.control.text !== next.control.text) changed.push("control");
  if (prev.control_token_file !== next.control_token_file) changed.push("control_token_file");
  if (prev.control_allow_remote !== next.control_allow_remote) changed.push("control_allow_remote");
  if (prev.metrics?.text !== next.metrics?.text) changed.push("metrics");
  if (prev.log_level !== next.log_level) changed.push("log_level");
  if (prev.log_format !== next.log_format) changed.push("log_format");
  return changed;
}
