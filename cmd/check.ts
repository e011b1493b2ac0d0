// Placeholder until the check subsystem lands: says so plainly and exits 1.

import type { Command } from "./command.ts";

export const command: Command = {
  spec: {
    name: "check",
    summary: "not built yet",
    usage: "tcpvs check",
    flags: [],
    example: "tcpvs check --help",
  },
  async run() {
    process.stderr.write("tcpvs: 'check' is not built yet in this version\n");
    return 1;
  },
};
