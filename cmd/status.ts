// Placeholder until the status subsystem lands: says so plainly and exits 1.

import type { Command } from "./command.ts";

export const command: Command = {
  spec: {
    name: "status",
    summary: "not built yet",
    usage: "tcpvs status",
    flags: [],
    example: "tcpvs status --help",
  },
  async run() {
    process.stderr.write("tcpvs: 'status' is not built yet in this version\n");
    return 1;
  },
};
