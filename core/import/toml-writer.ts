// A small TOML writer for the importer's output: tables, arrays of tables, and the value kinds a
// tcpvs.toml uses. Strings are written as basic strings; JSON's escapes are all valid TOML escapes.

export type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };

export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

export function tomlValue(v: TomlValue): string {
  // TOML also forbids a raw DEL in a basic string, which JSON leaves as is.
  if (typeof v === "string") return JSON.stringify(v).replace(/\x7f/g, "\\u007f");
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(", ")}]`;
  const parts = Object.entries(v).map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x)}`);
  return `{ ${parts.join(", ")} }`;
}

/** Key/value pairs in insertion order; undefined values are left out. */
export type Table = Record<string, TomlValue | undefined>;

export class TomlDoc {
  private readonly lines: string[] = [];

  comment(text: string): this {
    for (const l of text.split("\n")) this.lines.push(l ? `# ${l}` : "#");
    return this;
  }

  /**
   * `[header]` (or `[[header]]`) and its keys; `from` becomes a comment naming the source line,
   * `trailer` comment lines after the keys (settings left for the operator to turn on).
   */
  table(header: string[], t: Table, opts: { array?: boolean; from?: string; trailer?: string[] } = {}): this {
    if (this.lines.length > 0) this.lines.push("");
    if (opts.from) this.lines.push(`# ${opts.from}`);
    const h = header.map(tomlKey).join(".");
    this.lines.push(opts.array ? `[[${h}]]` : `[${h}]`);
    for (const [k, v] of Object.entries(t))
      if (v !== undefined) this.lines.push(`${tomlKey(k)} = ${tomlValue(v)}`);
    for (const c of opts.trailer ?? []) this.lines.push(`# ${c}`);
    return this;
  }

  toString(): string {
    return `${this.lines.join("\n")}\n`;
  }
}
