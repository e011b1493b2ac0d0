// Every registered scheduler runs the shared suite; a scheduler without traits here fails the first test.

import { expect, test } from "bun:test";
import { schedulerNames } from "../../core/sched/registry.ts";
import { runSchedulerConformance, type Traits } from "./common.case.ts";

const TRAITS: Record<string, Traits> = {
  rr: { distribution: { mode: "static", expect: "equal", tolerance: 0.001 } },
  wrr: { distribution: { mode: "static", expect: "weights", tolerance: 0.001 } },
  swrr: { distribution: { mode: "static", expect: "weights", tolerance: 0.001 } },
  lc: { distribution: { mode: "load", expect: "equal", tolerance: 0.05 } },
  wlc: { distribution: { mode: "load", expect: "weights", tolerance: 0.05 } },
  sed: { distribution: { mode: "load", expect: "weights", tolerance: 0.1 } },
  nq: { distribution: { mode: "load", expect: "weights", tolerance: 0.1 } },
  fo: { distribution: null },
  ovf: { distribution: null },
  sh: { distribution: { mode: "static", expect: "weights", tolerance: 0.1 } },
  dh: { distribution: { mode: "static", expect: "weights", tolerance: 0.1 } },
  mh: { distribution: { mode: "static", expect: "weights", tolerance: 0.1 } },
  lblc: { distribution: { mode: "load", expect: "weights", tolerance: 0.05 } },
  lblcr: { distribution: { mode: "load", expect: "weights", tolerance: 0.05 } },
  twos: { distribution: { mode: "static", expect: "weights", tolerance: 0.1 } },
  // A ring of 100 points per weight unit: each server's arc is within about +-10% of its share.
  chbl: { distribution: { mode: "static", expect: "weights", tolerance: 0.25 } },
  peak_ewma: { distribution: { mode: "load", expect: "weights", tolerance: 0.1 } },
};

test("every registered scheduler has conformance traits", () => {
  expect(schedulerNames.filter((n) => !(n in TRAITS))).toEqual([]);
});

for (const name of schedulerNames) if (TRAITS[name]) runSchedulerConformance(name, TRAITS[name]);

// The same rules hold with source-address persistence wrapped around each scheduler. Clients are
// random addresses, nearly all distinct, so shares still follow the scheduler (a few repeat: 2%).
for (const name of schedulerNames) {
  const t = TRAITS[name];
  if (!t) continue;
  const distribution = t.distribution && {
    ...t.distribution,
    tolerance: Math.max(t.distribution.tolerance, 0.02),
  };
  runSchedulerConformance(name, { ...t, distribution, persistence: true });
}

// As a data-path worker runs them (workers > 1): the shared rr/wrr position, lblc table and
// persistence table, and counts in shared memory, obey the same rules.
for (const name of schedulerNames) {
  const t = TRAITS[name];
  if (!t) continue;
  runSchedulerConformance(name, { ...t, shared: true });
  if (name === "rr" || name === "wlc")
    runSchedulerConformance(name, { ...t, shared: true, persistence: true });
}
