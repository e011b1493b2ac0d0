// The parser's view of the file system: read a file, expand an include glob. keepalived expands
// include patterns with glob(3), sorted; a pattern that matches nothing includes nothing.

import { readFileSync } from "node:fs";
import { join, sep } from "node:path";
import type { ParserIo } from "./keepalived-parser.ts";

export const fileIo: ParserIo = {
  read: (path) => readFileSync(path, "utf8"),
  glob(pattern) {
    // Scan from the longest directory prefix without glob characters.
    const parts = pattern.split(sep);
    const first = parts.findIndex((p) => /[*?[]/.test(p));
    const base = parts.slice(0, first).join(sep) || sep;
    const rest = parts.slice(first).join("/");
    try {
      return [...new Bun.Glob(rest).scanSync({ cwd: base, onlyFiles: true })]
        .map((p) => join(base, p))
        .sort();
    } catch {
      return [];
    }
  },
};
