// What every subcommand module exports: its options (for parsing and --help) and its body.

import type { CommandSpec } from "../core/cli/help-text.ts";
import type { AnyOptionValues } from "../core/cli/parse-argv.ts";

export interface CommandArgs {
  values: AnyOptionValues;
  positionals: string[];
}

export interface Command {
  spec: CommandSpec;
  /** Resolves to the process exit code. */
  run(args: CommandArgs): Promise<number>;
}
