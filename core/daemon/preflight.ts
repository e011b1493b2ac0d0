// Before a reload touches anything: can we bind the listen addresses the new config adds? A port taken
// by another process is the usual way a reload fails, and finding out half-way means some virtual
// servers were already retired. All new addresses are held at once (so two new ones that clash are
// caught too), then released for the switch to bind for real a moment later.

import type { VirtualServerConfig } from "../config/types.ts";
import { listenReason } from "../switch/switch.ts";

/** Problems binding the addresses `next` listens on that `current` does not; empty when all bind. */
export function checkNewListeners(current: VirtualServerConfig[], next: VirtualServerConfig[]): string[] {
  const held = new Set(current.flatMap((v) => v.listen.map((l) => l.text)));
  const problems: string[] = [];
  const probes: Array<{ stop(closeActive?: boolean): void }> = [];
  try {
    for (const vs of next) {
      for (const ep of vs.listen) {
        if (ep.kind !== "inet" || ep.port === 0 || held.has(ep.text)) continue;
        try {
          probes.push(Bun.listen({ hostname: ep.host, port: ep.port, socket: { data() {} } }));
        } catch (e) {
          problems.push(`Cannot listen on "${ep.text}" for "${vs.name}": ${listenReason(e)}`);
        }
      }
    }
  } finally {
    for (const p of probes) p.stop(true);
  }
  return problems;
}
