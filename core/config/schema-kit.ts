// The words a config section is described with. Each key is written once, as data: its type, default,
// range or choices, aliases, one line of documentation and (for checks) which types it applies to.
// The validator (readSection), the TypeScript types (Infer), the docs tables and the `tcpvs check`
// flags are all read off these descriptions; nothing else lists the keys.

import { Fields, isTable, join, type Raw } from "./fields.ts";
import type { Endpoint } from "./types.ts";
import { parseDuration, parseEndpoint } from "./values.ts";

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

interface Common {
  doc: string;
  /** For the docs when the default is not a literal: "host name", "the address". */
  defaultText?: string;
  aliases?: readonly Alias[];
  for?: readonly string[];
  flag?: FlagSpec | false;
}

type WithDefault<T> = { def: T | (() => T); required?: false } | { required: true; def?: T | (() => T) };
type Opts<T, O> = Common &
  O & { defaultFrom?: (t: Raw) => T } & (WithDefault<T> | { def?: undefined; required?: false });
// biome-ignore lint/suspicious/noExplicitAny: the reader's own value type is inferred from `read`.
type Custom = Opts<any, object> & {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  read: (f: Fields, v: unknown, path: string, def: any) => unknown;
  fromText?: (s: string) => unknown;
};
type Made<T, O> = O extends { def: unknown } | { required: true } | { defaultFrom: unknown }
  ? Key<T, false>
  : Key<T, true>;

function quote(v: unknown): string {
  if (v === undefined) return "none";
  if (Array.isArray(v)) return `\`[${v.map((x) => JSON.stringify(x)).join(", ")}]\``;
  return `\`${typeof v === "string" ? JSON.stringify(v) : String(v)}\``;
}

/** Assemble a Key from its reader; defaults and "required" are handled here, once. */
export function makeKey<T>(
  o: Common & {
    def?: unknown;
    required?: boolean;
    defaultText?: string;
    defaultFrom?: (t: Raw) => T;
    /** Read even when absent (a sub-table fills its own defaults). */
    readAbsent?: boolean;
  },
  type: string,
  read: (f: Fields, t: Raw, key: string, path: string, def: T) => T,
  fromText: (text: string) => unknown = (s) => s,
): Key<T, boolean> {
  const def = (): T => (typeof o.def === "function" ? (o.def as () => T)() : (o.def as T));
  return {
    type,
    doc: o.doc,
    defaultText:
      o.defaultText ?? (o.required ? "required" : o.def === undefined ? "none" : quote(o.def as unknown)),
    aliases: o.aliases ?? [],
    for: o.for,
    flag: o.flag,
    fromText,
    optional: (o.def === undefined && !o.required && !o.defaultFrom && !o.readAbsent) as boolean,
    defaultFrom: o.defaultFrom,
    read(f, t, key, path) {
      if (t[key] === undefined && !o.readAbsent) {
        if (o.required) f.error(join(path, key), `missing required key "${key}"`);
        return def();
      }
      return read(f, t, key, path, def());
    },
  };
}

function numberText(s: string): unknown {
  return /^-?\d+$/.test(s) ? Number(s) : s;
}

export const k = {
  /** `type` names the kind of text in the docs ("command", "path"); `map` normalises a valid value. */
  string<
    const O extends Opts<string, { oneOf?: readonly string[]; map?: (s: string) => string; type?: string }>,
  >(o: O): Made<O extends { oneOf: readonly (infer C)[] } ? C : string, O> {
    const type = o.oneOf ? `${o.oneOf.map((c) => `\`${c}\``).join(", ")}` : (o.type ?? "string");
    // A required key that is missing reads as "" (it is reported; the result stays a string).
    const opts = o.required && o.def === undefined ? { ...o, def: "" } : o;
    return makeKey<string>(opts, type, (f, t, key, path, def) => {
      const v = f.string(t, key, path, { def, oneOf: o.oneOf });
      return o.map && typeof t[key] === "string" ? o.map(v) : v;
    }) as never;
  },

  /** `oneOf` (a contiguous set such as [2, 3]) narrows the type to those numbers. */
  int<const O extends Opts<number, { min?: number; max?: number; oneOf?: readonly number[] }>>(
    o: O,
  ): Made<O extends { oneOf: readonly (infer C)[] } ? C : number, O> {
    const min = o.oneOf ? Math.min(...o.oneOf) : o.min;
    const max = o.oneOf ? Math.max(...o.oneOf) : o.max;
    const type = o.oneOf
      ? o.oneOf.join(" or ")
      : min !== undefined && max !== undefined
        ? `int ${min}–${max}`
        : min !== undefined
          ? `int ≥ ${min}`
          : "int";
    return makeKey<number>(
      o,
      type,
      (f, t, key, path, def) => f.int(t, key, path, { def, min, max }),
      numberText,
    ) as never;
  },

  bool<const O extends Opts<boolean, object>>(o: O): Made<boolean, O> {
    return makeKey<boolean>(o, "bool", (f, t, key, path, def) => f.bool(t, key, path, def)) as never;
  },

  /** Written "2s", "500ms"; read as milliseconds. The default is written the same way. */
  duration<const O extends Opts<string, { min?: number }>>(o: O): Made<number, O> {
    const ms = (text: string | undefined) => (text === undefined ? undefined : mustDuration(text));
    const def = typeof o.def === "function" ? undefined : ms(o.def as string | undefined);
    return makeKey<number>(
      {
        ...o,
        def,
        defaultText: o.defaultText ?? (o.def === undefined ? undefined : quote(o.def)),
        defaultFrom: undefined,
      },
      "duration",
      (f, t, key, path, d) => f.duration(t, key, path, d, { min: o.min }),
    ) as never;
  },

  endpoint<const O extends Opts<string, object>>(o: O): Made<Endpoint, O> {
    const def = o.def === undefined ? undefined : parseEndpoint(o.def);
    if (def && !def.ok) throw new Error(`schema: bad default address "${o.def}"`);
    return makeKey<Endpoint | undefined>(
      { ...o, def: def?.value, defaultText: o.required ? "required" : quote(o.def), defaultFrom: undefined },
      "address",
      (f, t, key, path, d) => f.endpoint(t, key, path) ?? d,
    ) as never;
  },

  /** A string or an array of strings, read as an array; `each` maps (or, returning undefined, drops) one. */
  strings<
    const O extends Opts<string[], { each?: (f: Fields, s: string, path: string) => string | undefined }>,
  >(o: O & { type?: string }): Made<string[], O> {
    return makeKey<string[]>(o, o.type ?? "string or array", (f, t, key, path) =>
      f.strings(t, key, path).flatMap((s, i) => {
        const v = o.each ? o.each(f, s, join(join(path, key), i)) : s;
        return v === undefined ? [] : [v];
      }),
    ) as never;
  },

  regex<const O extends Common>(o: O): Key<string, true> {
    return makeKey<string | undefined>(o, "regex", (f, t, key, path) => f.regex(t, key, path)) as never;
  },

  /** Bytes: an integer, or a string with a binary unit ("64MiB", "512KiB", "1GiB"). */
  size<const O extends Opts<string | number, { min?: number }>>(o: O): Made<number, O> {
    const bytes = (v: unknown) => (v === undefined ? undefined : parseSize(v));
    const def = typeof o.def === "function" ? undefined : bytes(o.def);
    if (typeof def === "string") throw new Error(`schema: bad default size "${o.def}"`);
    return makeKey<number>(
      { ...o, def, defaultText: o.def === undefined ? undefined : quote(o.def), defaultFrom: undefined },
      "size",
      (f, t, key, path, d) => {
        const r = parseSize(t[key]);
        if (typeof r === "string") {
          f.error(join(path, key), r);
          return d;
        }
        if (o.min !== undefined && r < o.min) {
          f.error(join(path, key), `size ${JSON.stringify(t[key])} is too small: at least ${o.min} bytes`);
          return d;
        }
        return r;
      },
      numberText,
    ) as never;
  },

  /** Any value, read by `read`: for syntaxes of their own (status lists, VIPs, matchers). */
  custom<const O extends Custom>(o: O): Made<ReturnType<O["read"]>, O> {
    return makeKey<unknown>(
      o,
      o.type,
      (f, t, key, path, def) => o.read(f, t[key], join(path, key), def as never),
      o.fromText,
    ) as never;
  },

  /** One sub-table. */
  table<S extends Keys>(s: Section<S>, o: Common): Key<Infer<S>, false> {
    return makeKey<Infer<S>>({ ...o, defaultText: "", readAbsent: true }, "table", (f, t, key, path) =>
      readSection(f, s, t[key], join(path, key)),
    ) as never;
  },

  /** `[[a.b]]`: a list of tables; a single `[a.b]` table counts as a list of one. */
  tables<S extends Keys>(s: Section<S>, o: Common): Key<Array<Infer<S>>, false> {
    return makeKey<Array<Infer<S>>>(
      { ...o, def: () => [], defaultText: "`[]`" },
      "array of tables",
      (f, t, key, path) =>
        f.tables(t[key], join(path, key)).map(({ value, path: p }) => readSection(f, s, value, p)),
    ) as never;
  },

  /** `[a.NAME]`: tables keyed by a name the operator picks; each gets it as `name`. */
  named<S extends Keys>(s: Section<S>, o: Common): Key<Record<string, { name: string } & Infer<S>>, false> {
    return makeKey<Record<string, { name: string } & Infer<S>>>(
      { ...o, def: () => ({}), defaultText: "" },
      "tables by name",
      (f, t, key, path) => {
        const raw = t[key];
        const all = f.table(raw, join(path, key), Object.keys(isTable(raw) ? raw : {}));
        const out: Record<string, { name: string } & Infer<S>> = {};
        for (const [name, value] of Object.entries(all))
          out[name] = { name, ...readSection(f, s, value, join(join(path, key), name)) };
        return out;
      },
    ) as never;
  },
};

const SIZE_UNIT: Record<string, number> = { "": 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Bytes from 1048576 or "1MiB"; a message when it is neither. */
export function parseSize(v: unknown): number | string {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  const m = typeof v === "string" ? /^(\d+)\s*(B|KiB|MiB|GiB)?$/.exec(v.trim()) : null;
  if (m) return Number(m[1]) * SIZE_UNIT[m[2] ?? ""]!;
  const got = typeof v === "string" ? `"${v}"` : JSON.stringify(v);
  return `invalid size ${got}: use bytes or a number with a unit (B, KiB, MiB, GiB), e.g. "64MiB"`;
}

function mustDuration(text: string): number {
  const r = parseDuration(text);
  if (!r.ok) throw new Error(`schema: bad default duration "${text}"`);
  return r.value;
}
