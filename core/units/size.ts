// Sizes: the one parser for config keys that take a number of bytes (max_held_bytes). Only binary
// units: "MB" would leave 1000 or 1024 to a guess, as a bare duration would leave its unit.

import type { Parsed } from "../errors/tcpvs-error.ts";

const UNIT_BYTES: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** 65536, "64KiB", "64MiB", "1.5GiB" -> bytes (rounded). A whole number alone is bytes. */
export function readSize(v: unknown): Parsed<number> {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return { ok: true, value: v };
  const m = typeof v === "string" ? /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB)$/.exec(v) : null;
  if (!m) {
    const shown = typeof v === "string" ? `"${v}"` : typeof v === "number" ? String(v) : `a ${typeof v}`;
    return {
      ok: false,
      error: `invalid size ${shown}: use a number of bytes or a number with a unit (B, KiB, MiB, GiB), e.g. "64MiB", "512KiB"`,
    };
  }
  return { ok: true, value: Math.round(Number(m[1]) * UNIT_BYTES[m[2]!]!) };
}
