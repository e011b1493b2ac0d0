// Placeholder until the vrrp subsystem lands: says so plainly and exits 1.

import type { Command } from "./command.ts";

export const command: Command = {
  spec: {
    name: "vrrp",
    summary: "not built yet",
    usage: "tcpvs vrrp",
    flags: [],
    example: "tcpvs vrrp --help",
  },
  async run() {
    process.stderr.write("tcpvs: 'vrrp' is not built yet in this version\n");
    return 1;
  },
};
