// Placeholder until the serve subsystem lands: says so plainly and exits 1.

import type { Command } from "./command.ts";

export const command: Command = {
  spec: {
    name: "serve",
    summary: "not built yet",
    usage: "tcpvs serve",
    flags: [],
    example: "tcpvs serve --help",
  },
  async run() {
    process.stderr.write("tcpvs: 'serve' is not built yet in this version\n");
    return 1;
  },
};
