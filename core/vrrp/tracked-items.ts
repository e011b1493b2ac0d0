// An instance's tracked items (its interface, track_interface, track_pool, track_script, the operator's
// priority adjustment, the wait for an IPv6 link-local address) with their current state, and the
// track scripts that feed them. A reload rebuilds the set from the new settings but keeps what it can:
// an item that stays keeps its state, an unchanged script keeps running, so a reload never lifts a
// failing track for a moment (which would move mastership twice).

import type { VrrpConfig, VrrpTrackScript } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { ifLinkUp } from "../sys/iface.ts";
import { ScriptTracker } from "./script.ts";
import type { TrackItem } from "./track.ts";

/** Tracked while an IPv6 instance waits for its interface's link-local address (FAULT meanwhile). */
export const LINK_LOCAL_TRACK = "address:link-local";
const CONTROL = "control:priority";

export class TrackedItems {
  private readonly items = new Map<string, TrackItem>();
  private readonly scripts = new Map<string, ScriptTracker>();

  /** `changed` runs after an item flips (the instance recomputes its priority). */
  constructor(
    private readonly log: Logger,
    private readonly changed: () => void,
  ) {}

  values(): Iterable<TrackItem> {
    return this.items.values();
  }

  /** The items of `c` (on start: all up; on reload: as they were where they stay). */
  build(c: VrrpConfig): void {
    const was = new Map(this.items);
    const running = new Map(this.scripts);
    this.items.clear();
    this.scripts.clear();
    for (const id of [LINK_LOCAL_TRACK, CONTROL]) {
      const kept = was.get(id);
      if (kept) this.items.set(id, kept);
    }
    const keep = (id: string, weight: number) =>
      this.items.set(id, { id, weight, ok: was.get(id)?.ok ?? true });
    keep(`interface:${c.interface}`, 0);
    for (const t of c.track_interface) keep(`interface:${t.name}`, t.weight);
    for (const t of c.track_pool) keep(`pool:${t.name}`, t.weight);
    for (const s of c.track_script) {
      const id = `script:${s.name}`;
      keep(id, s.weight);
      const key = scriptKey(s);
      if (this.scripts.has(key)) continue; // listed twice: one run feeds the one item
      const same = running.get(key);
      running.delete(key);
      if (same) {
        this.scripts.set(key, same);
        continue;
      }
      this.items.get(id)!.ok = true;
      const tr = new ScriptTracker(s, (ok) => this.set(id, ok), this.log);
      this.scripts.set(key, tr);
      tr.start();
    }
    for (const t of running.values()) t.stop();
  }

  /** An item's new state; a flip is logged and told. Unknown items are ignored. */
  set(id: string, ok: boolean): void {
    const t = this.items.get(id);
    if (!t || t.ok === ok) return;
    t.ok = ok;
    this.log.info(ok ? "tracked item up" : "tracked item down", { track: id });
    this.changed();
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  /** An IPv6 instance waits for its link-local address: FAULT until `linkLocalReady`. */
  waitLinkLocal(): void {
    this.items.set(LINK_LOCAL_TRACK, { id: LINK_LOCAL_TRACK, weight: 0, ok: false });
  }

  linkLocalReady(): void {
    this.set(LINK_LOCAL_TRACK, true);
    this.items.delete(LINK_LOCAL_TRACK);
  }

  /** Operator adjustment: lower (negative) or raise the priority by `delta`; 0 removes it. */
  adjust(delta: number): void {
    if (delta === 0) this.items.delete(CONTROL);
    else this.items.set(CONTROL, { id: CONTROL, weight: delta, ok: delta > 0 });
  }

  /** Read every tracked interface's link state now. */
  pollLinks(): void {
    for (const t of [...this.items.values()]) {
      if (!t.id.startsWith("interface:")) continue;
      let up = false;
      try {
        up = ifLinkUp(t.id.slice(10));
      } catch (e) {
        this.log.warn("cannot read link state; treating it as down", { track: t.id, error: String(e) });
      }
      this.set(t.id, up);
    }
  }

  stop(): void {
    for (const s of this.scripts.values()) s.stop();
    this.scripts.clear();
    this.items.clear();
  }
}

function scriptKey(s: VrrpTrackScript): string {
  return JSON.stringify(s);
}
