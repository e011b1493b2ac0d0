// The key builders of the schema description (k.string, k.int, k.duration, …): each turns a few
// declared facts (default, range, choices, aliases, doc) into a Key whose reader reports a wrong value
// at its path and stands in the default, and whose value type the schema's Infer picks up.

import { readSize } from "../units/size.ts";
import { type Fields, isTable, join, type Raw } from "./fields.ts";
import {
  type Alias,
  type FlagSpec,
  type Infer,
  type Key,
  type Keys,
  readSection,
  type Section,
  writeSection,
} from "./schema-kit.ts";
import type { Endpoint } from "./types.ts";
import { parseDuration, parseEndpoint } from "./values.ts";

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
  /** The value as the file writes it, when it differs from the normalised one. */
  // biome-ignore lint/suspicious/noExplicitAny: as above
  write?: (v: any) => unknown;
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
  write: (v: T) => unknown = (v) => v,
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
    write: write as (v: unknown) => unknown,
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
      undefined,
      (ms) => `${ms}ms`,
    ) as never;
  },

  endpoint<const O extends Opts<string, object>>(o: O): Made<Endpoint, O> {
    const def = o.def === undefined ? undefined : parseEndpoint(o.def);
    if (def && !def.ok) throw new Error(`schema: bad default address "${o.def}"`);
    return makeKey<Endpoint | undefined>(
      { ...o, def: def?.value, defaultText: o.required ? "required" : quote(o.def), defaultFrom: undefined },
      "address",
      (f, t, key, path, d) => f.endpoint(t, key, path) ?? d,
      undefined,
      (e) => e?.text,
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
    const bytes = (v: unknown) => {
      if (v === undefined) return undefined;
      const r = readSize(v);
      if (!r.ok) throw new Error(`schema: bad default size "${o.def}"`);
      return r.value;
    };
    const def = typeof o.def === "function" ? undefined : bytes(o.def);
    return makeKey<number>(
      { ...o, def, defaultText: o.def === undefined ? undefined : quote(o.def), defaultFrom: undefined },
      "size",
      (f, t, key, path, d) => {
        const r = readSize(t[key]);
        if (!r.ok) {
          f.error(join(path, key), r.error);
          return d;
        }
        if (o.min !== undefined && r.value < o.min) {
          f.error(join(path, key), `size ${JSON.stringify(t[key])} is too small: at least ${o.min} bytes`);
          return d;
        }
        return r.value;
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
      o.write,
    ) as never;
  },

  /** One sub-table. */
  table<S extends Keys>(s: Section<S>, o: Common): Key<Infer<S>, false> {
    return makeKey<Infer<S>>(
      { ...o, defaultText: "", readAbsent: true },
      "table",
      (f, t, key, path) => readSection(f, s, t[key], join(path, key)),
      undefined,
      (v) => writeSection(s, v),
    ) as never;
  },

  /** `[[a.b]]`: a list of tables; a single `[a.b]` table counts as a list of one. */
  tables<S extends Keys>(s: Section<S>, o: Common): Key<Array<Infer<S>>, false> {
    return makeKey<Array<Infer<S>>>(
      { ...o, def: () => [], defaultText: "`[]`" },
      "array of tables",
      (f, t, key, path) =>
        f.tables(t[key], join(path, key)).map(({ value, path: p }) => readSection(f, s, value, p)),
      undefined,
      (list) => list.map((v) => writeSection(s, v)),
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
      undefined,
      (all) => Object.fromEntries(Object.entries(all).map(([n, v]) => [n, writeSection(s, v)])),
    ) as never;
  },
};

function mustDuration(text: string): number {
  const r = parseDuration(text);
  if (!r.ok) throw new Error(`schema: bad default duration "${text}"`);
  return r.value;
}
