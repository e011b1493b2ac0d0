// Keeps a flapping server from flooding the log: each key (pool/server) may log a few transitions per
// window; later ones in the same window are counted, and one summary line reports them when the
// window closes. Pure: the caller passes the time and acts on the answers.

export type FlapDecision = "log" | "suppress-first" | "suppress";

export interface FlapSummary {
  key: string;
  suppressed: number;
  windowMs: number;
}

interface Window {
  start: number;
  logged: number;
  suppressed: number;
}

export class FlapLog {
  private readonly windows = new Map<string, Window>();
  readonly limit: number;
  readonly windowMs: number;

  constructor(limit = 4, windowMs = 60_000) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** A transition of `key` happened at `now`: log it, or suppress it (the first suppression says so). */
  decide(key: string, now: number): { decision: FlapDecision; closed?: FlapSummary } {
    let w = this.windows.get(key);
    let closed: FlapSummary | undefined;
    if (w && now - w.start >= this.windowMs) {
      if (w.suppressed > 0) closed = { key, suppressed: w.suppressed, windowMs: this.windowMs };
      w = undefined;
    }
    if (!w) {
      w = { start: now, logged: 0, suppressed: 0 };
      this.windows.set(key, w);
    }
    let decision: FlapDecision;
    if (w.logged < this.limit) {
      w.logged++;
      decision = "log";
    } else {
      w.suppressed++;
      decision = w.suppressed === 1 ? "suppress-first" : "suppress";
    }
    return closed ? { decision, closed } : { decision };
  }

  /** Close windows that ended by `now`; returns the summaries to log. */
  flush(now: number): FlapSummary[] {
    const out: FlapSummary[] = [];
    for (const [key, w] of this.windows) {
      if (now - w.start < this.windowMs) continue;
      if (w.suppressed > 0) out.push({ key, suppressed: w.suppressed, windowMs: this.windowMs });
      this.windows.delete(key);
    }
    return out;
  }

  /** When the window of `key` ends, if one is open. */
  windowEnd(key: string): number | undefined {
    const w = this.windows.get(key);
    return w ? w.start + this.windowMs : undefined;
  }
}
