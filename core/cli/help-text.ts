// What a subcommand declares (its options, usage and example) and the --help text made from it, with
// the global options every command takes.

import type { OptionSpec } from "./parse-argv.ts";

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: readonly OptionSpec[];
  example: string;
  /** Extra text after the flags (exit codes, subcommands). */
  more?: string;
  /** Exit code for a usage error, when the command's convention is not 2 (Nagios: 3). */
  usageExitCode?: number;
}

export const GLOBAL_OPTIONS = [
  {
    name: "config",
    short: "c",
    type: "string",
    arg: "PATH",
    description: "config file (default ./tcpvs.toml, then /etc/tcpvs/tcpvs.toml)",
  },
  { name: "json", type: "boolean", description: "print data as JSON" },
  {
    name: "log-level",
    type: "string",
    arg: "LEVEL",
    description: "debug, info, warn or error (default info)",
  },
  { name: "log-format", type: "string", arg: "FORMAT", description: "text or json (default text)" },
  { name: "help", short: "h", type: "boolean", description: "show this help" },
] as const satisfies readonly OptionSpec[];

function optionLine(o: OptionSpec): string {
  const left = `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.arg ? ` ${o.arg}` : ""}${o.multiple ? " ..." : ""}`;
  return `  ${left.padEnd(30)} ${o.description}`;
}

export function helpText(spec: CommandSpec): string {
  const parts = [`tcpvs ${spec.name}: ${spec.summary}`, "", `Usage: ${spec.usage}`];
  const shown = spec.options.filter((o) => !o.hidden);
  if (shown.length) parts.push("", "Flags:", ...shown.map(optionLine));
  parts.push("", "Global flags:", ...GLOBAL_OPTIONS.map(optionLine));
  if (spec.more) parts.push("", spec.more.trimEnd());
  parts.push("", "Example:", `  ${spec.example}`, "");
  return parts.join("\n");
}
