// The code table is the one source: docs/errors.md must list exactly its codes and meanings, every code
// is snake_case, and every error class in core/ derives from TcpvsError (so callers can read codes).

import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES, renderCodeTable } from "../../core/errors/tcpvs-error.ts";

const root = join(import.meta.dir, "..", "..");

test("every code is snake_case", () => {
  for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
});

test("docs/errors.md holds the code table as generated from ERROR_CODES", () => {
  const doc = readFileSync(join(root, "docs", "errors.md"), "utf8");
  const begin = doc.indexOf("<!-- codes:begin -->");
  const end = doc.indexOf("<!-- codes:end -->");
  expect(begin).toBeGreaterThan(-1);
  expect(doc.slice(begin + "<!-- codes:begin -->".length, end).trim()).toBe(renderCodeTable().trim());
});

test("no error class in core/ extends Error directly", () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts") && /class \w+ extends Error\b/.test(readFileSync(p, "utf8")))
        offenders.push(p);
    }
  };
  walk(join(root, "core"));
  expect(offenders).toEqual([join(root, "core", "errors", "tcpvs-error.ts")]);
});
