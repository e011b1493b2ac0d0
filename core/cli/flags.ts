// Command-line flags: one small parser shared by every subcommand, so each gets the same global flags,
// the same --help layout and the same "did you mean" on a mistyped flag.

import { nearest } from "../config/values.ts";

export interface FlagSpec {
  name: string;
  short?: string;
  /** bool: present or not; string: one value; list: repeatable. */
  type: "bool" | "string" | "list";
  arg?: string;
  desc: string;
  /** Accepted but left out of --help (a second spelling). */
  hidden?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpec[];
  example: string;
  /** Extra text after the flags (exit codes, subcommands). */
  more?: string;
  /** Exit code for a usage error, when the command's convention is not 2 (Nagios: 3). */
  usageExitCode?: number;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** Wrong words on the command line: exit 2 with this message. */
export class UsageError extends Error {
  readonly code = "USAGE";
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "UsageError";
    this.exitCode = exitCode;
  }
}

export const GLOBAL_FLAGS: FlagSpec[] = [
  {
    name: "config",
    short: "c",
    type: "string",
    arg: "PATH",
    desc: "config file (default ./tcpvs.toml, then /etc/tcpvs/tcpvs.toml)",
  },
  { name: "json", type: "bool", desc: "print data as JSON" },
  { name: "log-level", type: "string", arg: "LEVEL", desc: "debug, info, warn or error (default info)" },
  { name: "log-format", type: "string", arg: "FORMAT", desc: "text or json (default text)" },
  { name: "help", short: "h", type: "bool", desc: "show this help" },
];

export function parseFlags(argv: string[], spec: CommandSpec): { flags: FlagValues; positionals: string[] } {
  const all = [...spec.flags, ...GLOBAL_FLAGS];
  const flags: FlagValues = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith("-") || word === "-") {
      positionals.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const key = eq > 0 ? word.slice(0, eq) : word;
    const flag = key.startsWith("--")
      ? all.find((f) => f.name === key.slice(2))
      : all.find((f) => f.short === key.slice(1));
    if (!flag) {
      const hint = nearest(
        key.replace(/^-+/, ""),
        all.map((f) => f.name),
      );
      throw new UsageError(
        `unknown flag "${key}" for "tcpvs ${spec.name}"${hint ? `; did you mean "--${hint}"?` : ""}`,
        spec.usageExitCode,
      );
    }
    if (flag.type === "bool") {
      if (eq > 0) throw new UsageError(`flag --${flag.name} takes no value`, spec.usageExitCode);
      flags[flag.name] = true;
      continue;
    }
    const value = eq > 0 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined)
      throw new UsageError(`flag --${flag.name} needs a value (${flag.arg ?? "VALUE"})`, spec.usageExitCode);
    if (flag.type === "list")
      flags[flag.name] = [...((flags[flag.name] as string[] | undefined) ?? []), value];
    else flags[flag.name] = value;
  }
  return { flags, positionals };
}

function flagLine(f: FlagSpec): string {
  const left = `${f.short ? `-${f.short}, ` : "    "}--${f.name}${f.arg ? ` ${f.arg}` : ""}${f.type === "list" ? " ..." : ""}`;
  return `  ${left.padEnd(30)} ${f.desc}`;
}

export function helpText(spec: CommandSpec): string {
  const parts = [`tcpvs ${spec.name}: ${spec.summary}`, "", `Usage: ${spec.usage}`];
  const shown = spec.flags.filter((f) => !f.hidden);
  if (shown.length) parts.push("", "Flags:", ...shown.map(flagLine));
  parts.push("", "Global flags:", ...GLOBAL_FLAGS.map(flagLine));
  if (spec.more) parts.push("", spec.more.trimEnd());
  parts.push("", "Example:", `  ${spec.example}`, "");
  return parts.join("\n");
}

export function str(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

export function list(flags: FlagValues, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v : [];
}

/** Turn parsed values of `specs` back into argv words, for a command that parses its own. */
export function toArgv(flags: FlagValues, specs: FlagSpec[]): string[] {
  const out: string[] = [];
  for (const f of specs) {
    const v = flags[f.name];
    if (v === undefined || v === false) continue;
    if (v === true) out.push(`--${f.name}`);
    else for (const item of Array.isArray(v) ? v : [v]) out.push(`--${f.name}`, item);
  }
  return out;
}
