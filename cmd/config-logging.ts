// [global] log_level / log_format from the config file, for commands that load one. cmd/main.ts sets
// the logger from the flags before any config is read; a flag the operator gave still wins.

import { type AnyOptionValues, str } from "../core/cli/parse-argv.ts";
import type { TcpvsConfig } from "../core/config/types.ts";
import { Logger, setLogger } from "../core/log/logger.ts";

export function useConfigLogging(values: AnyOptionValues, config: TcpvsConfig): void {
  const level = str(values, "log-level") ?? config.global.log_level;
  const format = str(values, "log-format") ?? config.global.log_format;
  setLogger(
    new Logger({ level: level as TcpvsConfig["global"]["log_level"], format: format as "text" | "json" }),
  );
}
