// docs/config.md's key tables are written from the schema; this fails when someone edits one without
// the other (run `bun scripts/gen-config-doc.ts`).

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DOC_SECTIONS, sectionTable, updateConfigDoc } from "../../core/config/config-doc.ts";
import { allowedKeys } from "../../core/config/schema-kit.ts";

const DOC = join(import.meta.dir, "../../docs/config.md");

describe("docs/config.md", () => {
  test("every key table matches the schema", () => {
    const text = readFileSync(DOC, "utf8");
    const fresh = updateConfigDoc(text);
    if (fresh !== text) {
      const a = text.split("\n");
      const b = fresh.split("\n");
      const at = a.findIndex((l, i) => l !== b[i]);
      throw new Error(
        `docs/config.md differs from the schema at line ${at + 1}: run "bun scripts/gen-config-doc.ts"\n` +
          `  doc:    ${a[at]}\n  schema: ${b[at]}`,
      );
    }
  });

  test("a table lists every key of its section once, aliases beside their key", () => {
    for (const s of DOC_SECTIONS) {
      const table = sectionTable(s);
      const rows = table.split("\n").slice(2);
      expect(rows.map((r) => /^\| `([a-z_0-9]+)`/.exec(r)?.[1])).toEqual(Object.keys(s.keys));
      for (const alias of allowedKeys(s).filter((k) => !(k in s.keys))) expect(table).toContain(`\`${alias}`);
    }
  });

  test("a changed default shows up as a stale doc", () => {
    const text = readFileSync(DOC, "utf8");
    const edited = text.replace('| `grace` | duration | `"10s"` |', '| `grace` | duration | `"11s"` |');
    expect(edited).not.toBe(text);
    expect(updateConfigDoc(edited)).toBe(text);
    expect(() => updateConfigDoc(text.replace("<!-- /schema:global -->", ""))).toThrow(
      "Cannot find the markers",
    );
  });
});
