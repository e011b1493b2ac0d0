// The flags of `tcpvs check TYPE TARGET`, read off the [pool.NAME.check] description: each check key is a
// flag of the same name (`--record_type` and `--record-type` both), checked by the same rules as the
// file, so a line that works here works as a config table and the other way round.

import { parseArgs } from "node:util";
import { checkTypeNames, getCheckType, isCheckType } from "../check/registry.ts";
import { checkSection } from "../config/check-schema.ts";
import { Fields } from "../config/fields.ts";
import { readSection } from "../config/schema-kit.ts";
import type { CheckConfig, CheckType, Endpoint } from "../config/types.ts";
import { nearest } from "../config/values.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";
import { readEndpoint } from "../net/endpoint.ts";

export class CheckUsageError extends TcpvsError {
  declare readonly code: "usage";
  constructor(message: string) {
    super("usage", message);
    this.name = "CheckUsageError";
  }
}

export interface CheckArgs {
  /** Set for a one-shot check; absent for a config run. */
  check?: CheckConfig;
  target?: Endpoint;
  /** What the output line names: "tcp 127.0.0.1:80", "http http://a/b". */
  label?: string;
  pool?: string;
  quiet: boolean;
  json: boolean;
  help: boolean;
}

/** One flag and the check key it sets. */
export interface CheckFlag {
  /** Every accepted name, without dashes; the first is the one --help shows. */
  names: string[];
  key: string;
  type: "boolean" | "string";
  /** Repeatable, in order (--send/--expect pairs). */
  multiple: boolean;
  /** A boolean flag that sets its key to false (--insecure). */
  invert: boolean;
  /** What the value is, for --help: "DURATION", "REGEX". */
  arg?: string;
  doc: string;
  /** The check types that read the key; absent for all. */
  for?: readonly string[];
}

export const CHECK_FLAGS: readonly CheckFlag[] = Object.entries(checkSection.keys).flatMap(
  ([key, spec]): CheckFlag[] => {
    if (spec.flag === false) return [];
    const invert = spec.flag?.invert ?? false;
    const dashed = key.replace(/_/g, "-");
    const names = invert
      ? [...(spec.flag?.names ?? [])]
      : [...new Set([dashed, key, ...(spec.flag?.names ?? [])])];
    const bool = spec.type === "bool";
    const arg = bool ? undefined : (spec.flag?.arg ?? argName(spec.type));
    return [
      {
        names,
        key,
        type: bool ? "boolean" : "string",
        multiple: spec.flag?.multiple ?? false,
        invert,
        arg,
        doc: invert ? `${key} = false: do not ${spec.doc}` : spec.doc,
        for: spec.for,
      },
    ];
  },
);

/** The word --help shows for a value: "N", "TEXT", "1.0|1.1", "DURATION". */
function argName(type: string): string {
  if (type.includes("`")) return type.replace(/`/g, "").replace(/, /g, "|");
  if (type.startsWith("int")) return "N";
  if (type === "string") return "TEXT";
  return type.toUpperCase().replace(/ /g, "_");
}

/** The flag lines of `tcpvs check --help`, two columns: flag and what it sets. */
export function checkFlagsHelp(): string {
  return CHECK_FLAGS.map((f) => {
    const left = `--${f.names[0]}${f.arg ? ` ${f.arg}` : ""}${f.multiple ? " ..." : ""}`;
    return `  ${left.padEnd(26)} ${f.doc}${f.for ? ` (${f.for.join(", ")})` : ""}`;
  }).join("\n");
}

const BY_NAME = new Map(CHECK_FLAGS.flatMap((f) => f.names.map((n) => [n, f] as const)));
/** Flags of the command itself, not of the check. */
const OWN = { pool: "string", quiet: "boolean", json: "boolean", help: "boolean" } as const;
/** Global flags the caller has handled already (the config arrives parsed). */
const GLOBAL = { config: "string", "log-level": "string", "log-format": "string" } as const;

/** Every flag name that takes a value. */
export const VALUE_FLAGS: ReadonlySet<string> = new Set([
  ...CHECK_FLAGS.filter((f) => f.type === "string").flatMap((f) => f.names),
  "pool",
]);

/** Backslash escapes in --send, so "PING\r\n" can be typed in a shell. */
export function unescapeSend(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[rnt0\\])/g, (_m, e: string) => {
    if (e[0] === "x") return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return { r: "\r", n: "\n", t: "\t", "0": "\0", "\\": "\\" }[e]!;
  });
}

/** "host:port", "[v6]:port", a bare address with `defaultPort` (core/net/endpoint.ts). */
export function parseHostPort(text: string, defaultPort?: number): Endpoint {
  const r = readEndpoint(text, defaultPort);
  if (!r.ok) throw new CheckUsageError(`Cannot use the target: ${r.error}`);
  return r.value;
}

/** What the user wrote for a key: the flag as typed, the words, and what kind of value it takes. */
type Given = Map<string, { flag: string; text: string; type: string }>;

/** Read command-line words by the schema's readers and rules; a usage error names the flag. */
function readKeys(raw: Record<string, unknown>, given: Given): CheckConfig {
  const f = new Fields();
  const check = readSection(f, checkSection, raw, "", { fileRules: false }) as CheckConfig;
  const issue = f.issues[0];
  if (issue) {
    const key = issue.path.replace(/[.[].*$/, "");
    const g = given.get(key);
    if (g)
      throw new CheckUsageError(`Give ${g.flag} as ${g.type}: "${g.text}" is not one (${issue.message})`);
    const flag = key === "steps" ? "--send TEXT --expect REGEX ..." : `--${key.replace(/_/g, "-")}`;
    throw new CheckUsageError(`Give ${flag}: ${issue.message}`);
  }
  return check;
}

/** "2s", "500ms", "1m30s"; a bare number is refused, as in the file (core/units/duration.ts). */
export function parseCliDuration(text: string): number {
  const given: Given = new Map([["timeout", { flag: "--timeout", text, type: "a duration" }]]);
  return readKeys({ type: "tcp", timeout: checkSection.keys.timeout.fromText(text) }, given).timeout;
}

/** "200", "200-299", "200,301-302". */
export function parseStatusList(text: string): Array<[number, number]> {
  const given: Given = new Map([["status", { flag: "--status", text, type: "codes or ranges" }]]);
  return readKeys({ type: "http", status: checkSection.keys.status.fromText(text) }, given).status;
}

export function parseCheckArgs(argv: string[]): CheckArgs {
  const out: CheckArgs = { quiet: false, json: false, help: false };
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    ...Object.fromEntries(CHECK_FLAGS.flatMap((f) => f.names.map((n) => [n, { type: f.type }]))),
    ...Object.fromEntries(Object.entries({ ...OWN, ...GLOBAL }).map(([n, type]) => [n, { type }])),
  };
  options.help = { type: "boolean", short: "h" };
  options.config = { type: "string", short: "c" };
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const raw: Record<string, unknown> = {};
  const given: Given = new Map();
  const positionals: string[] = [];
  const steps: Array<{ send?: string; expect?: string }> = [];
  for (const t of tokens) {
    if (t.kind === "positional") positionals.push(t.value);
    if (t.kind !== "option") continue;
    if (t.name in GLOBAL) continue;
    if (t.name === "help") out.help = true;
    else if (t.name === "quiet" || t.name === "json") out[t.name] = true;
    else if (t.name === "pool") {
      if (t.value === undefined) throw new CheckUsageError('Give a value after "--pool"');
      out.pool = t.value;
    }
    const flag = BY_NAME.get(t.name);
    if (!flag) {
      if (t.name in OWN) continue;
      const hint = nearest(t.name, [...BY_NAME.keys(), ...Object.keys(OWN)]);
      throw new CheckUsageError(
        `Remove the unknown flag "${t.rawName}"${hint ? `; did you mean "--${hint}"?` : ""} (see tcpvs check --help)`,
      );
    }
    if (flag.type === "boolean") {
      raw[flag.key] = !flag.invert;
      continue;
    }
    if (t.value === undefined) throw new CheckUsageError(`Give a value after "${t.rawName}"`);
    // --send and --expect build the dialogue in order: each --send opens a step.
    if (flag.key === "send") steps.push({ send: unescapeSend(t.value) });
    else if (flag.key === "expect") {
      const last = steps.at(-1);
      if (last && last.expect === undefined) last.expect = t.value;
      else steps.push({ expect: t.value });
    } else {
      const spec = checkSection.keys[flag.key as keyof typeof checkSection.keys];
      raw[flag.key] = spec.fromText(t.value);
      given.set(flag.key, { flag: t.rawName, text: t.value, type: typeName(spec.type) });
    }
  }
  if (out.help) return out;
  const [type, targetText, ...extra] = positionals;
  if (type === undefined) return out;
  if (!isCheckType(type)) {
    const hint = nearest(type, checkTypeNames);
    throw new CheckUsageError(
      `Name a check type (${checkTypeNames.join(", ")}): "${type}" is not one${hint ? `; did you mean "${hint}"?` : ""}`,
    );
  }
  if (extra.length > 0) throw new CheckUsageError(`Remove the extra argument "${extra[0]}"`);
  raw.type = type;
  if (type === "expect") raw.steps = steps;
  if (type === "udp" && steps[0]) Object.assign(raw, steps[0]);
  for (const s of steps) {
    const bad = s.expect !== undefined && !isRegex(s.expect);
    if (bad)
      given.set(type === "expect" ? "steps" : "expect", {
        flag: "--expect",
        text: s.expect!,
        type: "a regex",
      });
  }
  const { target, label, path } = readTarget(type, targetText);
  if (path !== undefined && raw.path === undefined) raw.path = path;
  const check = readKeys(raw, given);
  out.check = check;
  out.target = target ?? { kind: "inet", host: "127.0.0.1", port: 0, family: 4, text: "127.0.0.1:0" };
  out.label = type === "script" && !target ? `script ${JSON.stringify(check.script)}` : label;
  return out;
}

function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

/** "duration" -> "a duration"; a list of choices stays as it is. */
function typeName(type: string): string {
  if (type.includes("`")) return `one of ${type.replace(/`/g, "")}`;
  if (/^\d/.test(type)) return type;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function readTarget(
  type: CheckType,
  text: string | undefined,
): { target?: Endpoint; label: string; path?: string } {
  const def = getCheckType(type)!;
  if ((type === "http" || type === "https") && text && /^https?:\/\//.test(text)) {
    const url = new URL(text);
    if (url.protocol !== `${type}:`)
      throw new CheckUsageError(`Use a ${type}:// URL with "check ${type}": "${text}"`);
    return {
      target: parseHostPort(url.host, def.defaultPort),
      label: `${type} ${text}`,
      path: `${url.pathname}${url.search}`,
    };
  }
  if (text !== undefined) {
    const target = parseHostPort(text, def.defaultPort);
    return { target, label: `${type} ${target.text}` };
  }
  if (!def.targetOptional) throw new CheckUsageError(`Give a target: tcpvs check ${type} HOST:PORT`);
  return { label: type };
}
