// Pool quorum with hysteresis (keepalived): the pool has quorum while the summed weight of its live
// servers is high enough. Lost when it drops below quorum - hysteresis, regained when it reaches
// quorum + hysteresis, so a pool hovering at the threshold does not flip on every check.

export interface QuorumRule {
  quorum: number;
  hysteresis: number;
}

/** The next quorum state from the current one and the live weight. */
export function nextQuorum(current: boolean, liveWeight: number, rule: QuorumRule): boolean {
  if (current) return liveWeight >= rule.quorum - rule.hysteresis;
  return liveWeight >= rule.quorum + rule.hysteresis;
}

/** Weight the pool can serve with right now: live servers at their effective weight. */
export function liveWeight(servers: ReadonlyArray<{ up: boolean; weight: number }>): number {
  let sum = 0;
  for (const s of servers) if (s.up) sum += s.weight;
  return sum;
}
