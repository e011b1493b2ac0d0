// A send/expect dialogue on TCP, in the style of HAProxy tcp-check: each step may send bytes and may
// wait for the text received since the previous match to match a regex. All steps share the timeout.

import type { CheckConfig } from "../config/types.ts";
import { ProbeConn } from "./probe-conn.ts";
import { CheckFailure, type CheckFn, measure } from "./types.ts";

export function dialogueSteps(check: CheckConfig): Array<{ send?: string; expect?: RegExp }> {
  const raw = check.steps.length > 0 ? check.steps : [{ send: check.send, expect: check.expect }];
  return raw.map((s, i) => {
    let expect: RegExp | undefined;
    if (s.expect !== undefined) {
      try {
        expect = new RegExp(s.expect);
      } catch {
        throw new CheckFailure(
          `bad expect in step ${i + 1} ${JSON.stringify(s.expect)}: not a regular expression`,
        );
      }
    }
    return s.send !== undefined ? { send: s.send, expect } : { expect };
  });
}

export const expectCheck: CheckFn = (check, target) =>
  measure(async () => {
    const steps = dialogueSteps(check);
    const conn = await ProbeConn.open(target, check.timeout);
    const decoder = new TextDecoder("latin1");
    let consumed = 0;
    try {
      for (const [i, step] of steps.entries()) {
        if (step.send !== undefined) conn.write(step.send);
        const re = step.expect;
        if (!re) continue;
        let lastSeen = "";
        try {
          consumed += await conn.read((buf, eof) => {
            const text = decoder.decode(buf.subarray(consumed));
            lastSeen = text;
            const m = re.exec(text);
            if (m) return m.index + m[0].length;
            if (eof)
              throw new CheckFailure(
                `step ${i + 1}: got ${JSON.stringify(text.slice(0, 60))}, want /${re.source}/`,
              );
            return undefined;
          });
        } catch (e) {
          if (e instanceof CheckFailure && e.reason.startsWith("timed out")) {
            throw new CheckFailure(
              `step ${i + 1}: ${e.reason} waiting for /${re.source}/, got ${JSON.stringify(lastSeen.slice(0, 60))}`,
            );
          }
          throw e;
        }
      }
      return { ok: true, reason: `${steps.length} step(s) passed` };
    } finally {
      conn.close();
    }
  });
