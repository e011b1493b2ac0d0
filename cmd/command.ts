// What every subcommand module exports: its flags (for parsing and --help) and its body.

import type { CommandSpec, FlagValues } from "../core/cli/flags.ts";

export interface CommandArgs {
  flags: FlagValues;
  positionals: string[];
}

export interface Command {
  spec: CommandSpec;
  /** Resolves to the process exit code. */
  run(args: CommandArgs): Promise<number>;
}
