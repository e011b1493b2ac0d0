// Every subcommand by name, each module loaded only when it runs (so `--version` and `--help` stay
// quick); the order is the order of `tcpvs --help`, the man page and the completions.

import type { Command } from "./command.ts";

export const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("./serve.ts")).command,
  check: async () => (await import("./check.ts")).command,
  vrrp: async () => (await import("./vrrp.ts")).command,
  status: async () => (await import("./status.ts")).command,
  config: async () => (await import("./config.ts")).command,
  init: async () => (await import("./init.ts")).command,
  import: async () => (await import("./import.ts")).command,
  version: async () => (await import("./version.ts")).command,
  completion: async () => (await import("./completion.ts")).command,
  man: async () => (await import("./man.ts")).command,
  help: async () => (await import("./help.ts")).command,
};

/** Every command's spec, in order: for the overview, the man page and the completions. */
export async function allSpecs() {
  const out = [];
  for (const load of Object.values(COMMANDS)) out.push((await load()).spec);
  return out;
}
