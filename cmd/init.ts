// Placeholder until the init subsystem lands: says so plainly and exits 1.

import type { Command } from "./command.ts";

export const command: Command = {
  spec: {
    name: "init",
    summary: "not built yet",
    usage: "tcpvs init",
    flags: [],
    example: "tcpvs init --help",
  },
  async run() {
    process.stderr.write("tcpvs: 'init' is not built yet in this version\n");
    return 1;
  },
};
