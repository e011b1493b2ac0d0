// What a subcommand declares (its options, usage and example) and the --help text made from it, with
// the global options every command takes. The man page (man-page.ts) and the shell completions
// (completion.ts) are made from the same declarations: one source for every way the CLI describes
// itself.

import type { OptionSpec } from "./parse-argv.ts";

export interface CommandSpec {
  name: string;
  summary: string;
  /** One or more lines ("tcpvs status [ACTION ...]"); continuation lines are indented to match. */
  usage: string;
  options: readonly OptionSpec[];
  example: string;
  /** Extra text after the flags (exit codes, subcommands). */
  more?: string;
  /** Words that may come first after the command (actions, check types), for completion. */
  words?: readonly string[];
  /** Exit code for a usage error, when the command's convention is not 2 (Nagios: 3). */
  usageExitCode?: number;
}

export const GLOBAL_OPTIONS = [
  {
    name: "config",
    short: "c",
    type: "string",
    arg: "PATH",
    description: "the config file (default ./tcpvs.toml, then /etc/tcpvs/tcpvs.toml)",
    example: "/etc/tcpvs/tcpvs.toml",
  },
  { name: "json", type: "boolean", description: "print data as JSON (docs/json.md), errors too" },
  {
    name: "log-level",
    type: "string",
    arg: "LEVEL",
    description: "the least severe log line to write: debug, info, warn or error (default info)",
    example: "debug",
    choices: ["debug", "info", "warn", "error"],
  },
  {
    name: "log-format",
    type: "string",
    arg: "FORMAT",
    description: "text, or json for one JSON object per line (default text)",
    example: "json",
    choices: ["text", "json"],
  },
  { name: "help", short: "h", type: "boolean", description: "show this help and exit" },
] as const satisfies readonly OptionSpec[];

/** "-c, --config PATH" / "    --json". */
export function optionHead(o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.arg ? ` ${o.arg}` : ""}${o.multiple ? " ..." : ""}`;
}

function optionLines(o: OptionSpec): string[] {
  const lines = [`  ${optionHead(o).padEnd(28)} ${o.description}`];
  if (o.example !== undefined) lines.push(`  ${"".padEnd(28)} e.g. --${o.name} ${o.example}`);
  return lines;
}

export function helpText(spec: CommandSpec): string {
  const parts = [`tcpvs ${spec.name}: ${spec.summary}`, "", `Usage: ${spec.usage}`];
  const shown = spec.options.filter((o) => !o.hidden);
  if (shown.length) parts.push("", "Flags:", ...shown.flatMap(optionLines));
  parts.push("", "Global flags:", ...GLOBAL_OPTIONS.flatMap(optionLines));
  if (spec.more) parts.push("", spec.more.trimEnd());
  parts.push("", "Example:", `  ${spec.example}`, "");
  return parts.join("\n");
}

/** `tcpvs --help`: every command's summary, from the same specs. */
export function overviewText(specs: readonly CommandSpec[]): string {
  const width = Math.max(...specs.map((s) => s.name.length));
  return `tcpvs: a layer-7 virtual server with health checking and VRRP failover

Usage: tcpvs COMMAND [FLAGS]

Commands:
${specs.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`).join("\n")}

Global flags: -c/--config PATH, --json, --log-level LEVEL, --log-format text|json, -h/--help;
-V/-v/--version prints the version.

Exit codes: 0 ok, 1 failure, 2 usage or config error; "check" follows the Nagios convention
(0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

Run "tcpvs COMMAND --help" for a command's flags and an example.
Example: tcpvs serve --demo
`;
}
