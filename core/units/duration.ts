// Durations: the one parser behind every config key and every command-line flag that takes a time.
//
// THE BARE NUMBER RULE: a number without a unit is refused, in the file and on the command line alike,
// with a message that suggests "Ns". tcpvs speaks to two traditions that read a bare number differently
// (keepalived and Nagios plugins mean seconds, HAProxy means milliseconds), and a wrong guess is a
// thousandfold error in a timeout that shows only under failure. Writing the unit costs one character.

import type { Parsed } from "../errors/tcpvs-error.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * "2s", "500ms", "1m30s", "1.5s" -> milliseconds (rounded). Units ms, s, m, h; parts add up. The error
 * is a fragment starting `invalid duration "TEXT": ` for the caller to place (file:line, --flag).
 */
export function readDuration(text: unknown): Parsed<number> {
  if (typeof text === "number") {
    return {
      ok: false,
      error: `invalid duration ${text}: a bare number has no unit; write "${text}s" or "${text}ms"`,
    };
  }
  if (typeof text !== "string") {
    return { ok: false, error: 'expected a duration string such as "2s" or "500ms"' };
  }
  if (/^\d+(\.\d+)?$/.test(text)) {
    return {
      ok: false,
      error: `invalid duration "${text}": a bare number has no unit; write "${text}s" or "${text}ms"`,
    };
  }
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text.length === 0 || matched !== text.length) {
    return {
      ok: false,
      error: `invalid duration ${JSON.stringify(text)}: use a number with a unit (ms, s, m, h), e.g. "2s", "500ms", "1m30s"`,
    };
  }
  return { ok: true, value: Math.round(total) };
}
