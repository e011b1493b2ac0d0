// Typed readers for one table of the raw TOML value. Each reader returns a usable value even when the
// input is wrong (the default, or a neutral value) and records the problem, so one pass over the file
// finds every mistake instead of stopping at the first.

import type { Endpoint } from "./types.ts";
import { describe, nearest, parseDuration, parseEndpoint } from "./values.ts";

export interface Issue {
  path: string;
  message: string;
}

export type Raw = Record<string, unknown>;

export function isTable(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  if (key === "") return path;
  return path ? `${path}.${key}` : key;
}

export class Fields {
  readonly issues: Issue[] = [];

  error(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  /** Check that `raw` is a table whose keys are all in `allowed`; returns it (or {} when it is not). */
  table(raw: unknown, path: string, allowed: readonly string[]): Raw {
    if (raw === undefined) return {};
    if (!isTable(raw)) {
      this.error(path, `expected a table, got ${describe(raw)}`);
      return {};
    }
    for (const key of Object.keys(raw)) {
      if (allowed.includes(key)) continue;
      const hint = nearest(key, allowed);
      this.error(join(path, key), `unknown key "${key}"${hint ? `; did you mean "${hint}"?` : ""}`);
    }
    return raw;
  }

  /** A list of tables, accepting a single table too (`[pool.x.check]` as well as `[[pool.x.check]]`). */
  tables(raw: unknown, path: string): Array<{ value: unknown; path: string }> {
    if (raw === undefined) return [];
    if (Array.isArray(raw)) return raw.map((value, i) => ({ value, path: join(path, i) }));
    return [{ value: raw, path }];
  }

  string<T extends string = string>(
    t: Raw,
    key: string,
    path: string,
    opts: { def?: T; oneOf?: readonly T[]; required?: boolean } = {},
  ): T {
    const v = t[key];
    const p = join(path, key);
    if (v === undefined) {
      if (opts.required) this.error(p, `missing required key "${key}"`);
      return (opts.def ?? "") as T;
    }
    if (typeof v !== "string") {
      this.error(p, `expected a string, got ${describe(v)}`);
      return (opts.def ?? "") as T;
    }
    if (opts.oneOf && !opts.oneOf.includes(v as T)) {
      const hint = nearest(v, opts.oneOf);
      this.error(
        p,
        `invalid value "${v}": expected one of ${opts.oneOf.map((o) => `"${o}"`).join(", ")}${hint ? `; did you mean "${hint}"?` : ""}`,
      );
      return (opts.def ?? "") as T;
    }
    return v as T;
  }

  optString(t: Raw, key: string, path: string): string | undefined {
    return t[key] === undefined ? undefined : this.string(t, key, path);
  }

  int(
    t: Raw,
    key: string,
    path: string,
    opts: { def: number; min?: number; max?: number; required?: boolean },
  ): number {
    const v = t[key];
    const p = join(path, key);
    if (v === undefined) {
      if (opts.required) this.error(p, `missing required key "${key}"`);
      return opts.def;
    }
    if (typeof v !== "number" || !Number.isInteger(v)) {
      this.error(p, `expected an integer, got ${describe(v)}`);
      return opts.def;
    }
    const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = opts;
    if (v < min || v > max) {
      this.error(
        p,
        `${v} is out of range: expected ${max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min}-${max}`}`,
      );
      return opts.def;
    }
    return v;
  }

  bool(t: Raw, key: string, path: string, def: boolean): boolean {
    const v = t[key];
    if (v === undefined) return def;
    if (typeof v !== "boolean") {
      this.error(join(path, key), `expected true or false, got ${describe(v)}`);
      return def;
    }
    return v;
  }

  duration(t: Raw, key: string, path: string, def: number, opts: { min?: number } = {}): number {
    const v = t[key];
    if (v === undefined) return def;
    const r = parseDuration(v);
    if (!r.ok) {
      this.error(join(path, key), r.error);
      return def;
    }
    if (opts.min !== undefined && r.value < opts.min) {
      this.error(join(path, key), `duration "${v}" is too short: at least ${opts.min} ms`);
      return def;
    }
    return r.value;
  }

  endpoint(t: Raw, key: string, path: string, opts: { defaultPort?: number } = {}): Endpoint | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    const r = parseEndpoint(v, opts.defaultPort);
    if (!r.ok) {
      this.error(join(path, key), r.error);
      return undefined;
    }
    return r.value;
  }

  /** A string or an array of strings, as an array. */
  strings(t: Raw, key: string, path: string): string[] {
    const v = t[key];
    if (v === undefined) return [];
    if (typeof v === "string") return [v];
    if (!Array.isArray(v)) {
      this.error(join(path, key), `expected a string or an array of strings, got ${describe(v)}`);
      return [];
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item === "string") out.push(item);
      else this.error(join(join(path, key), i), `expected a string, got ${describe(item)}`);
    });
    return out;
  }

  regex(t: Raw, key: string, path: string): string | undefined {
    const v = this.optString(t, key, path);
    if (v === undefined) return undefined;
    try {
      new RegExp(v);
    } catch (e) {
      this.error(join(path, key), `invalid regular expression "${v}": ${(e as Error).message}`);
      return undefined;
    }
    return v;
  }
}
