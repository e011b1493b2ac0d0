// The key tables of docs/config.md, written from the schema description. Each table sits between
// `<!-- schema:TITLE -->` and `<!-- /schema:TITLE -->`; the prose around them is hand-written and kept.
// `bun scripts/gen-config-doc.ts` rewrites the file; test/config/config-doc.test.ts fails when it is stale.

import { checkSection } from "./check-schema.ts";
import { globalSection, poolSection, serverSection } from "./schema.ts";
import type { Key, Section } from "./schema-kit.ts";
import { listenerTlsSection, poolTlsSection } from "./tls-schema.ts";
import { limitSection, ruleSection, virtualServerSection } from "./virtual-server-schema.ts";
import { trackScriptSection, vrrpSection } from "./vrrp-schema.ts";

/** The sections docs/config.md shows, by the title its markers use. */
export const DOC_SECTIONS: readonly Section[] = [
  globalSection,
  virtualServerSection,
  ruleSection,
  listenerTlsSection,
  limitSection,
  poolSection,
  poolTlsSection,
  serverSection,
  checkSection,
  vrrpSection,
  trackScriptSection,
] as unknown as readonly Section[];

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function keyCell(name: string, key: Key): string {
  const aliases = key.aliases.map((a) => (a.invert ? `\`${a.key} = true\` for false` : `alias \`${a.key}\``));
  return `\`${name}\`${aliases.length ? ` (${aliases.join(", ")})` : ""}`;
}

/** One section's table, in the description's key order. */
export function sectionTable(s: Section): string {
  const perType = Object.values(s.keys).some((k) => k.for !== undefined);
  const head = perType
    ? ["key", "type", "default", "check types", "meaning"]
    : ["key", "type", "default", "meaning"];
  const rows = Object.entries(s.keys).map(([name, key]) => {
    const cells = [keyCell(name, key), key.type, key.defaultText || "—"];
    if (perType) cells.push(key.for ? key.for.join(", ") : "all");
    cells.push(key.doc);
    return `| ${cells.map(cell).join(" | ")} |`;
  });
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows].join("\n");
}

/** `text` with every marked table replaced by the current one; throws on a missing or unknown marker. */
export function updateConfigDoc(text: string): string {
  let out = text;
  for (const s of DOC_SECTIONS) {
    const open = `<!-- schema:${s.title} -->`;
    const close = `<!-- /schema:${s.title} -->`;
    const a = out.indexOf(open);
    const b = out.indexOf(close);
    if (a < 0 || b < a)
      throw new Error(`Cannot find the markers ${open} … ${close} in docs/config.md: add them`);
    out = `${out.slice(0, a + open.length)}\n${sectionTable(s)}\n${out.slice(b)}`;
  }
  const unknown = [...out.matchAll(/<!-- schema:([^ ]+) -->/g)]
    .map((m) => m[1]!)
    .filter((t) => !DOC_SECTIONS.some((s) => s.title === t));
  if (unknown.length) throw new Error(`Remove the markers of unknown sections: ${unknown.join(", ")}`);
  return out;
}
