// [global] settings fixed at start: the control channel and metrics sockets, and the logger. A reload
// that changes them is applied to everything else; these are named so the operator knows to restart.

import type { GlobalConfig } from "../config/types.ts";

/** Global settings a reload cannot apply; named so the operator knows to restart. */
export function restartOnlyChanges(prev: GlobalConfig, next: GlobalConfig): string[] {
  const changed: string[] = [];
  if (prev.control.text !== next.control.text) changed.push("control");
  if (prev.control_token_file !== next.control_token_file) changed.push("control_token_file");
  if (prev.control_allow_remote !== next.control_allow_remote) changed.push("control_allow_remote");
  if (prev.control_group !== next.control_group) changed.push("control_group");
  if (prev.metrics?.text !== next.metrics?.text) changed.push("metrics");
  if (prev.log_level !== next.log_level) changed.push("log_level");
  if (prev.log_format !== next.log_format) changed.push("log_format");
  if (prev.workers !== next.workers) changed.push("workers");
  return changed;
}
