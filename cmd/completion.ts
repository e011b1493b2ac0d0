// `tcpvs completion bash|zsh`: a completion script for the shell, from the same specs as --help.

import { bashCompletion, zshCompletion } from "../core/cli/completion.ts";
import { UsageError } from "../core/cli/usage-error.ts";
import type { Command } from "./command.ts";
import { allSpecs } from "./commands.ts";

export const command: Command = {
  spec: {
    name: "completion",
    summary: "print a bash or zsh completion script",
    usage: "tcpvs completion bash|zsh",
    options: [],
    words: ["bash", "zsh"],
    more: `bash: tcpvs completion bash > /etc/bash_completion.d/tcpvs   (or: source <(tcpvs completion bash))
zsh:  tcpvs completion zsh > /usr/local/share/zsh/site-functions/_tcpvs   (a directory in $fpath)`,
    example: "tcpvs completion bash > /etc/bash_completion.d/tcpvs",
  },
  async run({ positionals }) {
    const [shell, ...rest] = positionals;
    if ((shell !== "bash" && shell !== "zsh") || rest.length > 0)
      throw new UsageError("bad_arguments", `Name the shell: bash or zsh, not "${positionals.join(" ")}"`);
    const specs = await allSpecs();
    process.stdout.write(shell === "bash" ? bashCompletion(specs) : zshCompletion(specs));
    return 0;
  },
};
