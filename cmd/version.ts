// tcpvs version: the release, the runtime it was built with, the platform.

import pkg from "../package.json";
import type { Command } from "./command.ts";

export const VERSION: string = pkg.version;

export const command: Command = {
  spec: {
    name: "version",
    summary: "print the version",
    usage: "tcpvs version [--json]",
    options: [],
    example: "tcpvs version --json",
  },
  async run({ values }) {
    const info = { version: VERSION, bun: Bun.version, platform: `${process.platform}-${process.arch}` };
    process.stdout.write(
      values.json
        ? `${JSON.stringify(info)}\n`
        : `tcpvs ${info.version} (bun ${info.bun}, ${info.platform})\n`,
    );
    return 0;
  },
};
