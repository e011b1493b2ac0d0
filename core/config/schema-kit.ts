// What a config section is described with: a Key per key (type, default, range or choices, aliases,
// one line of documentation, and for checks which types read it; the builders are in schema-keys.ts)
// and the rules that span keys. The validator (readSection), the TypeScript types (Infer), the docs
// tables and the `tcpvs check` flags are all read off these descriptions; nothing else lists the keys.

import { Fields, join, type Raw } from "./fields.ts";

/** keepalived spells some keys its own way; `invert` for a flag meaning the opposite (nopreempt). */
export interface Alias {
  key: string;
  invert?: boolean;
}

/** How a key appears on the `tcpvs check` command line; `false` when it has no flag. */
export interface FlagSpec {
  /** Extra flag names (without dashes) besides the key's own in both spellings. */
  names?: readonly string[];
  /** A boolean flag that sets the key to false (`--insecure` for tls_verify). */
  invert?: boolean;
  /** Repeatable: the values pair up in order (send/expect). */
  multiple?: boolean;
  /** The value's name in --help when the key's type does not say it well ("MD5HEX"). */
  arg?: string;
}

/** One key. `T` is its normalised value; `Opt` is true when it may be absent from the result. */
export interface Key<T = unknown, Opt extends boolean = boolean> {
  /** For the docs "type" column: "duration", "int 1–255", "address or array". */
  readonly type: string;
  /** For the docs "default" column, as written in TOML; "required" or "none" when there is none. */
  readonly defaultText: string;
  readonly doc: string;
  readonly aliases: readonly Alias[];
  /** Check keys: the check types that read it; absent means every type. */
  readonly for?: readonly string[];
  readonly flag?: FlagSpec | false;
  /** Turn a command-line word into the TOML value the reader expects ("3" -> 3 for an int). */
  readonly fromText: (text: string) => unknown;
  /** The inverse of `read`: a normalised value as the file writes it (1500 -> "1500ms"). */
  readonly write: (value: unknown) => unknown;
  readonly optional: Opt;
  /** Read `t[key]` (absent: the default); a wrong value is reported on `f` and replaced by the default. */
  read(f: Fields, t: Raw, key: string, path: string): T;
  /** A default computed from the other keys of the same table (a server's name is its address). */
  readonly defaultFrom?: (table: Record<string, unknown>) => T;
}

export type Keys = Record<string, Key<unknown, boolean>>;
type ValueOf<K> = K extends Key<infer T, boolean> ? T : never;
type Simplify<T> = { [P in keyof T]: T[P] } & {};
type ReqNames<K> = { [P in keyof K]: K[P] extends Key<unknown, true> ? never : P }[keyof K];
type OptNames<K> = { [P in keyof K]: K[P] extends Key<unknown, true> ? P : never }[keyof K];

/** The normalised value of a table described by `K`: keys with a default are always present. */
export type Infer<K extends Keys> = Simplify<
  { -readonly [P in ReqNames<K>]: ValueOf<K[P]> } & { -readonly [P in OptNames<K>]?: ValueOf<K[P]> }
>;

/**
 * A rule that spans keys of one table; `at(key, message)` reports at that key ("" = the table). It
 * sees the normalised value, the raw table and the table's path ("pool.app").
 */
export type Rule<V> = (v: V, at: (key: string, message: string) => void, raw: Raw, path: string) => void;

export interface Section<K extends Keys = Keys> {
  /** The table as the docs name it: "pool.NAME.check". */
  readonly title: string;
  readonly keys: K;
  readonly rules: ReadonlyArray<Rule<Infer<K>>>;
  /** Rules that make no sense for a one-shot command-line check (timeout < interval). */
  readonly fileOnlyRules?: ReadonlyArray<Rule<Infer<K>>>;
}

export function section<K extends Keys>(
  title: string,
  keys: K,
  rules: ReadonlyArray<Rule<Infer<K>>> = [],
  fileOnlyRules: ReadonlyArray<Rule<Infer<K>>> = [],
): Section<K> {
  return { title, keys, rules, fileOnlyRules };
}

/** Every key name a table accepts: the keys and their aliases. */
export function allowedKeys(s: { keys: Keys }): string[] {
  return Object.entries(s.keys).flatMap(([k, key]) => [k, ...key.aliases.map((a) => a.key)]);
}

/**
 * Validate one table against its description. Every problem goes to `f`; the result is always
 * complete (defaults stand in for wrong values), so one pass finds every mistake.
 */
export function readSection<K extends Keys>(
  f: Fields,
  s: Section<K>,
  raw: unknown,
  path: string,
  opts: { fileRules?: boolean } = {},
): Infer<K> {
  const t = f.table(raw, path, allowedKeys(s));
  const out: Record<string, unknown> = {};
  const late: Array<[string, Key]> = [];
  for (const [name, key] of Object.entries(s.keys)) {
    if (key.defaultFrom && t[name] === undefined) {
      late.push([name, key]);
      continue;
    }
    const v = readWithAliases(f, t, name, key, path);
    if (v !== undefined) out[name] = v;
  }
  for (const [name, key] of late) out[name] = key.defaultFrom!(out);
  const value = out as Infer<K>;
  const at = (key: string, message: string) => f.error(join(path, key), message);
  for (const rule of s.rules) rule(value, at, t, path);
  if (opts.fileRules !== false) for (const rule of s.fileOnlyRules ?? []) rule(value, at, t, path);
  return value;
}

/**
 * A normalised table written back as TOML values (durations as "1500ms", addresses as text), keeping
 * only the section's keys: reading it again applies every rule of the schema to a value built in code.
 */
export function writeSection(s: { keys: Keys }, value: unknown): Record<string, unknown> {
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(s.keys)) if (v[name] !== undefined) out[name] = key.write(v[name]);
  return out;
}

/** Every default of a section: what an empty table reads as (required keys get their neutral value). */
export function sectionDefaults<K extends Keys>(s: Section<K>): Infer<K> {
  return readSection(new Fields(), { ...s, rules: [], fileOnlyRules: [] }, {}, "");
}

function readWithAliases(f: Fields, t: Raw, name: string, key: Key, path: string): unknown {
  let v: unknown = t[name] === undefined && key.optional ? undefined : key.read(f, t, name, path);
  for (const a of key.aliases) {
    if (t[a.key] === undefined) continue;
    const got = key.read(f, t, a.key, path);
    // An inverted flag narrows the key (preempt && !nopreempt); a plain alias replaces it.
    v = a.invert ? v && !got : got;
  }
  return v;
}
