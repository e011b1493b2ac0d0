// `tcpvs check`: its flags, which are the check schema's keys (core/cli/check-flags.ts), mapped to the
// words parseCheckArgs reads; the report and the Nagios aggregation are core/cli/check-report.ts's.

import { CHECK_TYPES_HELP, runCheck } from "../core/cli/check-report.ts";
import { CHECK_FLAGS, VALUE_FLAGS } from "../core/cli/check-flags.ts";
import { list, type OptionSpec, str } from "../core/cli/parse-argv.ts";
import { findConfig, loadConfig } from "../core/config/load.ts";
import type { Command } from "./command.ts";

// Every spelling of a key is accepted; --help shows the first.
const OPTIONS: OptionSpec[] = CHECK_FLAGS.flatMap((f) =>
  f.names.map((name, i) => ({
    name,
    type: f.type,
    multiple: f.multiple,
    arg: f.arg,
    description: `${f.doc}${f.for ? ` (${f.for.join(", ")})` : ""}`,
    hidden: i > 0,
  })),
);
const VALUE = [...VALUE_FLAGS].filter((f) => f !== "send" && f !== "expect");

export const command: Command = {
  spec: {
    name: "check",
    summary: "run health checks once (Nagios exit codes), from flags or the config",
    usage: "tcpvs check TYPE TARGET [FLAGS] | tcpvs check -c FILE [--pool NAME]",
    options: [
      ...OPTIONS,
      { name: "pool", type: "string", arg: "NAME", description: "with -c: only this pool's checks" },
      { name: "quiet", type: "boolean", description: "print nothing; the exit code tells" },
    ],
    more: CHECK_TYPES_HELP,
    usageExitCode: 3,
    example: "tcpvs check http http://127.0.0.1:8080/health --status 200 --timeout 2s",
  },
  async run({ values, positionals }) {
    const argv = [...positionals];
    for (const n of VALUE) if (str(values, n) !== undefined) argv.push(`--${n}`, str(values, n)!);
    const sends = list(values, "send");
    const expects = list(values, "expect");
    for (let i = 0; i < Math.max(sends.length, expects.length); i++) {
      if (sends[i] !== undefined) argv.push("--send", sends[i]!);
      if (expects[i] !== undefined) argv.push("--expect", expects[i]!);
    }
    for (const o of OPTIONS) if (o.type === "boolean" && values[o.name]) argv.push(`--${o.name}`);
    if (values.quiet) argv.push("--quiet");
    const wantConfig = positionals.length === 0;
    const config = wantConfig ? loadConfig(findConfig(str(values, "config"))).config : undefined;
    return runCheck(argv, { json: Boolean(values.json), config });
  },
};
