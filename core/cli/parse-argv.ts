// The one command-line parser: node:util parseArgs does the splitting (--name=value, -abc groups, "--"),
// and this wrapper adds what every tcpvs command shares: option specs that also render --help, typed
// values, and one UsageError per mistake with a "did you mean" for a mistyped flag.

import { parseArgs } from "node:util";
import { nearest } from "../config/values.ts";
import { UsageError } from "./usage-error.ts";

export interface OptionSpec {
  /** Long name without dashes: "log-level". */
  readonly name: string;
  /** One letter: "c" for -c. */
  readonly short?: string;
  readonly type: "boolean" | "string";
  /** Repeatable: the values come back as an array, in order. */
  readonly multiple?: boolean;
  /** What the value is, in --help: "PATH", "STATE". */
  readonly arg?: string;
  readonly description: string;
  /** A value that works, for --help and error hints: "2s". */
  readonly example?: string;
  /** The only values accepted, when they are few: completion offers them. */
  readonly choices?: readonly string[];
  /** Accepted but left out of --help (a second spelling). */
  readonly hidden?: boolean;
}

type ValueOf<O extends OptionSpec> = O["type"] extends "boolean"
  ? boolean
  : O["multiple"] extends true
    ? string[]
    : string;

/** The parsed values of `S`, keyed by long name; an option not given is absent. */
export type OptionValues<S extends readonly OptionSpec[]> = {
  [O in S[number] as O["name"]]?: ValueOf<O>;
};

/** Values when the specs are not known statically (a command's own list plus the global ones). */
export type AnyOptionValues = Record<string, string | boolean | string[] | undefined>;

export interface ParseContext {
  /** Named in messages: unknown flag "--x" for "tcpvs status". */
  command?: string;
  /** The exit code a usage error carries (2; Nagios commands use 3). */
  exitCode?: number;
}

export interface ParsedArgv<V> {
  values: V;
  positionals: string[];
}

export function parseArgv<const S extends readonly OptionSpec[]>(
  argv: readonly string[],
  specs: S,
  ctx: ParseContext = {},
): ParsedArgv<OptionValues<S>> {
  const byName = new Map<string, OptionSpec>(specs.map((s) => [s.name, s]));
  const options: Record<string, { type: "boolean" | "string"; short?: string; multiple?: boolean }> = {};
  for (const s of specs) {
    options[s.name] = { type: s.type, ...(s.short ? { short: s.short } : {}), multiple: s.multiple === true };
  }
  // Not strict: the tokens let us word every mistake ourselves, with the command's exit code.
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const exit = ctx.exitCode ?? 2;
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === "positional") positionals.push(t.value);
    if (t.kind !== "option") continue;
    const spec = byName.get(t.name);
    if (!spec) {
      const hint = nearest(t.name, byName.keys());
      const where = ctx.command ? ` for "tcpvs ${ctx.command}"` : "";
      throw new UsageError(
        "unknown_option",
        `unknown flag "${t.rawName}"${where}${hint ? `; did you mean "--${hint}"?` : ""}`,
        exit,
        ctx.command,
      );
    }
    if (spec.type === "boolean") {
      if (t.value !== undefined)
        throw new UsageError("unexpected_value", `flag --${spec.name} takes no value`, exit, ctx.command);
      values[spec.name] = true;
      continue;
    }
    if (t.value === undefined)
      throw new UsageError(
        "missing_value",
        `flag --${spec.name} needs a value (${spec.arg ?? "VALUE"})${spec.example ? `, e.g. --${spec.name} ${spec.example}` : ""}`,
        exit,
        ctx.command,
      );
    if (spec.multiple) values[spec.name] = [...((values[spec.name] as string[] | undefined) ?? []), t.value];
    else values[spec.name] = t.value;
  }
  return { values: values as OptionValues<S>, positionals };
}

/** A string option's value from untyped values. */
export function str(values: AnyOptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** A repeatable option's values from untyped values, [] when absent. */
export function list(values: AnyOptionValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : [];
}
