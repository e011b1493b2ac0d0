// A JSON Schema validator for the subset docs/schema/*.schema.json use (draft 2020-12 words): type,
// properties, required, additionalProperties, items, enum, const, oneOf, anyOf, minimum, maximum,
// minLength, pattern, minItems, and $ref to "#/$defs/x" or to another file of the same folder
// ("event.schema.json", "status.schema.json#/$defs/server"). A keyword outside the subset is an error,
// so a schema can never pass a document by using a word this validator ignores.

import { readFileSync } from "node:fs";
import { join } from "node:path";

type Schema = Record<string, unknown> | boolean;

const KNOWN = new Set([
  "$schema",
  "$id",
  "$defs",
  "$comment",
  "title",
  "description",
  "examples",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "oneOf",
  "anyOf",
  "minimum",
  "maximum",
  "minLength",
  "pattern",
  "minItems",
  "$ref",
]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(want: string, v: unknown): boolean {
  const t = typeOf(v);
  return want === t || (want === "number" && t === "integer");
}

export class SchemaSet {
  private readonly dir: string;
  private readonly files = new Map<string, Record<string, unknown>>();

  constructor(dir: string) {
    this.dir = dir;
  }

  load(file: string): Record<string, unknown> {
    let s = this.files.get(file);
    if (!s) {
      s = JSON.parse(readFileSync(join(this.dir, file), "utf8")) as Record<string, unknown>;
      this.files.set(file, s);
    }
    return s;
  }

  /** Every way `value` breaks the schema at `ref` ("status.schema.json", or with "#/$defs/vrrp"), as
   * "path: why"; [] when it conforms. */
  validate(ref: string, value: unknown): string[] {
    const errors: string[] = [];
    const r = this.resolve(ref.includes("#") ? ref : `${ref}#`, ref.split("#")[0]!);
    this.check(r.schema, r.file, value, "$", errors);
    return errors;
  }

  private resolve(ref: string, file: string): { schema: Schema; file: string } {
    const [target = "", pointer = ""] = ref.split("#");
    const f = target || file;
    let node: unknown = this.load(f);
    for (const part of pointer.split("/").filter(Boolean)) {
      node = (node as Record<string, unknown>)?.[part];
      if (node === undefined) throw new Error(`${file}: $ref "${ref}" points nowhere`);
    }
    return { schema: node as Schema, file: f };
  }

  private check(schema: Schema, file: string, v: unknown, path: string, errors: string[]): void {
    if (schema === true) return;
    if (schema === false) {
      errors.push(`${path}: not allowed`);
      return;
    }
    for (const k of Object.keys(schema))
      if (!KNOWN.has(k)) throw new Error(`${file}: keyword "${k}" is outside the validator's subset`);
    if (typeof schema.$ref === "string") {
      const r = this.resolve(schema.$ref, file);
      this.check(r.schema, r.file, v, path, errors);
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => typeMatches(t, v))) {
        errors.push(`${path}: is ${typeOf(v)}, want ${types.join(" or ")}`);
        return;
      }
    }
    if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(v))
      errors.push(`${path}: is ${JSON.stringify(v)}, want ${JSON.stringify(schema.const)}`);
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v)))
      errors.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
    if (typeof v === "number") {
      if (typeof schema.minimum === "number" && v < schema.minimum)
        errors.push(`${path}: ${v} is below ${schema.minimum}`);
      if (typeof schema.maximum === "number" && v > schema.maximum)
        errors.push(`${path}: ${v} is above ${schema.maximum}`);
    }
    if (typeof v === "string") {
      if (typeof schema.minLength === "number" && v.length < schema.minLength)
        errors.push(`${path}: shorter than ${schema.minLength}`);
      if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(v))
        errors.push(`${path}: ${JSON.stringify(v)} does not match /${schema.pattern}/`);
    }
    if (Array.isArray(v)) {
      if (typeof schema.minItems === "number" && v.length < schema.minItems)
        errors.push(`${path}: fewer than ${schema.minItems} items`);
      if (schema.items !== undefined)
        for (const [i, item] of v.entries())
          this.check(schema.items as Schema, file, item, `${path}[${i}]`, errors);
    }
    if (typeOf(v) === "object") {
      const o = v as Record<string, unknown>;
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const r of (schema.required ?? []) as string[])
        if (!(r in o)) errors.push(`${path}: "${r}" is missing`);
      for (const [k, val] of Object.entries(o)) {
        if (k in props) this.check(props[k]!, file, val, `${path}.${k}`, errors);
        else if (schema.additionalProperties === false) errors.push(`${path}: "${k}" is not in the schema`);
        else if (typeof schema.additionalProperties === "object")
          this.check(schema.additionalProperties as Schema, file, val, `${path}.${k}`, errors);
      }
    }
    for (const [word, want] of [
      ["oneOf", 1],
      ["anyOf", 0],
    ] as const) {
      const list = schema[word];
      if (!Array.isArray(list)) continue;
      const results = list.map((s) => {
        const e: string[] = [];
        this.check(s as Schema, file, v, path, e);
        return e;
      });
      const passing = results.filter((e) => e.length === 0).length;
      if (want === 1 ? passing !== 1 : passing === 0) {
        const closest = results.reduce((a, b) => (b.length < a.length ? b : a));
        errors.push(
          `${path}: ${passing} of the ${word} branches match${passing === 0 ? `; the closest fails: ${closest.join("; ")}` : ""}`,
        );
      }
    }
  }
}
