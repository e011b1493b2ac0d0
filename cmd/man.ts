// `tcpvs man`: the manual page, roff for man(1), from the same specs as --help.

import { manPage } from "../core/cli/man-page.ts";
import type { Command } from "./command.ts";
import { allSpecs } from "./commands.ts";
import { VERSION } from "./version.ts";

export const command: Command = {
  spec: {
    name: "man",
    summary: "print the manual page (roff), made from the help texts",
    usage: "tcpvs man",
    options: [],
    more: "docs/tcpvs.1 is this output; the install steps put it in /usr/local/share/man/man1.",
    example: "tcpvs man > /usr/local/share/man/man1/tcpvs.1 && man tcpvs",
  },
  async run() {
    process.stdout.write(manPage(await allSpecs(), VERSION));
    return 0;
  },
};
