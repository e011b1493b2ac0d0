// `tcpvs help [COMMAND]`: the overview, or one command's --help.

import { helpText, overviewText } from "../core/cli/help-text.ts";
import { UsageError } from "../core/cli/usage-error.ts";
import { nearest } from "../core/config/values.ts";
import type { Command } from "./command.ts";
import { allSpecs, COMMANDS } from "./commands.ts";

/** The command of this name, or a usage error with the nearest name. */
export async function resolve(name: string): Promise<Command> {
  const load = COMMANDS[name];
  if (!load) {
    const hint = nearest(name, Object.keys(COMMANDS));
    throw new UsageError(
      "unknown_command",
      `unknown command "${name}"${hint ? `; did you mean "${hint}"?` : ""}`,
    );
  }
  return load();
}

export async function overview(): Promise<string> {
  return overviewText(await allSpecs());
}

export const command: Command = {
  spec: {
    name: "help",
    summary: "show help for tcpvs or one of its commands",
    usage: "tcpvs help [COMMAND]",
    options: [],
    words: Object.keys(COMMANDS),
    example: "tcpvs help status",
  },
  async run({ positionals }) {
    const name = positionals[0];
    process.stdout.write(name ? helpText((await resolve(name)).spec) : await overview());
    return 0;
  },
};
