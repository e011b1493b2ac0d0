// What tracked interfaces, scripts and pools do to an instance, keepalived's way: weight 0 means a
// failure puts the instance in FAULT; a negative weight is subtracted while the item fails; a positive
// weight is added while it succeeds. Pure: the instance feeds it results.

export interface TrackItem {
  /** "interface:eth1", "script:chk_nginx", "pool:web". */
  id: string;
  weight: number;
  ok: boolean;
}

export interface Effective {
  priority: number;
  fault: boolean;
  /** Why: the failing items, for logs and notify lines. */
  reason: string;
}

export function effectivePriority(base: number, items: Iterable<TrackItem>): Effective {
  let p = base;
  const faults: string[] = [];
  const lowered: string[] = [];
  for (const t of items) {
    if (t.weight === 0) {
      if (!t.ok) faults.push(t.id);
    } else if (t.weight < 0 && !t.ok) {
      p += t.weight;
      lowered.push(t.id);
    } else if (t.weight > 0 && t.ok) {
      p += t.weight;
    }
  }
  // The address owner keeps 255: tracking weights would make it lose its own address.
  const priority = base === 255 ? 255 : Math.max(1, Math.min(254, p));
  const reason = faults.length
    ? `failed: ${faults.join(", ")}`
    : lowered.length
      ? `lowered by: ${lowered.join(", ")}`
      : "ok";
  return { priority, fault: faults.length > 0, reason };
}

/** Rise/fall hysteresis over a stream of check results. */
export class RiseFall {
  ok: boolean;
  private streak = 0;
  constructor(
    private readonly rise: number,
    private readonly fall: number,
    initial = true,
  ) {
    this.ok = initial;
  }

  /** Feed one result; returns true when `ok` flipped. */
  feed(pass: boolean): boolean {
    if (pass === this.ok) {
      this.streak = 0;
      return false;
    }
    this.streak++;
    if (this.streak >= (pass ? Math.max(1, this.rise) : Math.max(1, this.fall))) {
      this.ok = pass;
      this.streak = 0;
      return true;
    }
    return false;
  }
}
