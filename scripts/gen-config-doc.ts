// Rewrite the key tables of docs/config.md from the schema: bun scripts/gen-config-doc.ts
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { updateConfigDoc } from "../core/config/config-doc.ts";

const file = join(import.meta.dir, "../docs/config.md");
const before = readFileSync(file, "utf8");
const after = updateConfigDoc(before);
if (after !== before) writeFileSync(file, after);
console.log(after === before ? "docs/config.md is up to date" : "docs/config.md rewritten");
