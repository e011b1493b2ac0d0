// `tcpvs status`: its flags; the planning, the `--is` test and the watch loop are core/control's.

import { str } from "../core/cli/parse-argv.ts";
import { runStatus, statusTarget } from "../core/cli/run-status.ts";
import { allTargets } from "../core/cli/status-all.ts";
import { STATUS_OPTIONS, STATUS_USAGE, STATUS_VERBS } from "../core/cli/status-plan.ts";
import type { Command } from "./command.ts";

export const command: Command = {
  spec: {
    name: "status",
    summary: "read and steer a running tcpvs over its control channel",
    usage: "tcpvs status [ACTION ARGS...] [--json] [--watch] [--is STATE]",
    options: STATUS_OPTIONS,
    words: STATUS_VERBS,
    more: `${STATUS_USAGE.replace(/^usage: /, "Actions:\n       ")}`,
    example: "tcpvs status drain app node-b && tcpvs status vrrp VI_1 --is master",
  },
  run: ({ values, positionals }) => {
    const control = str(values, "control");
    const tokenFile = str(values, "token-file");
    const args = {
      words: positionals,
      json: values.json === true,
      watch: values.watch === true,
      is: str(values, "is"),
      all: values.all === true,
    };
    return runStatus(
      args,
      args.all ? { controlAddress: "" } : statusTarget(control, tokenFile, str(values, "config")),
      undefined,
      () => allTargets(str(values, "config"), control, tokenFile),
    );
  },
};
