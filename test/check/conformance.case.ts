// The conformance suite every check type runs (see conformance.test.ts): the same four situations
// against real peers on loopback, each with the outcome and the reason an operator reads. It only uses
// the registry, so a new type gets the same checks by adding its traits there.

import { describe, expect, test } from "bun:test";
import { runOneCheck } from "../../core/check/registry.ts";
import { checkDefaults } from "../../core/check/types.ts";
import type { CheckConfig, CheckType, Endpoint } from "../../core/config/types.ts";

/** A running peer: where the check goes, what it sets, how to stop it. */
export interface Peer {
  target: Endpoint;
  check?: Partial<CheckConfig>;
  stop(): void | Promise<void>;
}

/** One situation: a peer that produces it and the reason expected; or why it does not apply. */
export type Situation = { peer: () => Promise<Peer | string>; reason: RegExp } | { notMeaningful: string };

export interface Traits {
  /** The server answers as a healthy one does. */
  up: Situation;
  /** The server answers, but not as configured (a 503, a 554 banner, SERVFAIL, a wrong reply). */
  down: Situation;
  /** The server says nothing until the timeout. */
  timeout: Situation;
  /** Nothing listens there (the kernel answers RST / ICMP port unreachable). */
  refused: Situation;
}

const TIMEOUT_MS = 300;

export function runCheckConformance(type: CheckType, traits: Traits): void {
  describe(`check ${type} (conformance)`, () => {
    for (const kind of ["up", "down", "timeout", "refused"] as const) {
      const s = traits[kind];
      if ("notMeaningful" in s) {
        test.skip(`${kind}: not meaningful for ${type}: ${s.notMeaningful}`, () => {});
        continue;
      }
      test(`${kind}: ${kind === "up" ? "up" : "down"}, reason matches ${s.reason}`, async () => {
        const peer = await s.peer();
        if (typeof peer === "string") {
          console.log(`skip ${type} ${kind}: ${peer}`);
          return;
        }
        try {
          const check = checkDefaults({ type, timeout: TIMEOUT_MS, ...peer.check });
          const out = await runOneCheck(check, peer.target);
          expect({ ok: out.ok, reason: out.reason }).toEqual({
            ok: kind === "up",
            reason: expect.stringMatching(s.reason),
          });
          // Every outcome comes within the timeout (plus scheduling slack); a timeout takes all of it.
          expect(out.latencyMs).toBeLessThan(TIMEOUT_MS + 1000);
          if (kind === "timeout") expect(out.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
        } finally {
          await peer.stop();
        }
      });
    }
  });
}

export { TIMEOUT_MS };
