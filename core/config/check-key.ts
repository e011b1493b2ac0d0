// One answer checked against the schema before a whole file exists: `tcpvs init` asks for a backend, a
// VIP, an interface, and each answer must be what the config will accept. Returns the message the file
// would give, or undefined (clack's validate contract). init still loads the file it renders, whole.

import { Fields } from "./fields.ts";
import { type Keys, readSection, type Section } from "./schema-kit.ts";

/**
 * The problem with `value` as `key` of a `section` table, or undefined when the file would take it.
 * `beside`: other keys of the same table a rule compares with (a unicast peer with the VIPs' family).
 */
export function checkKey<K extends Keys>(
  s: Section<K>,
  key: keyof K & string,
  value: unknown,
  beside: Partial<Record<keyof K & string, unknown>> = {},
): string | undefined {
  const f = new Fields();
  readSection(f, s, { ...beside, [key]: value }, "");
  // Only this key's own problems: the rest of the table is missing on purpose.
  const mine = f.issues.find(
    (i) => i.path === key || i.path.startsWith(`${key}.`) || i.path.startsWith(`${key}[`),
  );
  return mine?.message;
}
