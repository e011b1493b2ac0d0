// Keeps a flapping server (or any repeating event) from flooding the log: each key may log a few
// events per window; later ones in the same window are counted, and one summary line reports them when
// the window closes. Pure: the caller passes the time and acts on the answers. With `maxKeys` the
// number of open windows is capped: the least recently seen key is evicted and its summary returned,
// so a flood of distinct keys costs bounded memory and loses no count. With `holdAfterSummary` a window
// that needed a summary is followed by one that logs nothing at once, so an event that never stops
// costs one line per window; a window that passes without events lets the key log at once again.

export type FlapDecision = "log" | "suppress-first" | "suppress";

export interface FlapSummary<D = unknown> {
  key: string;
  suppressed: number;
  windowMs: number;
  /** When the window began: a summary given before its end covers less than windowMs. */
  start: number;
  /** The detail passed with the last suppressed event (e.g. its reason). */
  last?: D;
}

interface Window<D> {
  start: number;
  logged: number;
  suppressed: number;
  last?: D;
}

export interface FlapLogOptions {
  /** Most keys with an open window; the least recently seen is evicted beyond it. */
  maxKeys?: number;
  /** After a window with suppressed events, suppress from the start of the next one. */
  holdAfterSummary?: boolean;
}

export class FlapLog<D = unknown> {
  private readonly windows = new Map<string, Window<D>>();
  readonly limit: number;
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly holdAfterSummary: boolean;

  constructor(limit = 4, windowMs = 60_000, opts: FlapLogOptions = {}) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.maxKeys = Math.max(1, opts.maxKeys ?? Number.POSITIVE_INFINITY);
    this.holdAfterSummary = opts.holdAfterSummary ?? false;
  }

  /**
   * An event of `key` happened at `now`: log it, or suppress it (the first suppression says so).
   * `closed` is a summary to log first: the key's own ended window, or a key evicted to make room.
   */
  decide(key: string, now: number, detail?: D): { decision: FlapDecision; closed?: FlapSummary<D> } {
    let w = this.windows.get(key);
    let closed: FlapSummary<D> | undefined;
    if (w && now - w.start >= this.windowMs) {
      if (w.suppressed > 0) closed = summary(key, w, this.windowMs);
      w = this.successor(w, now);
    }
    if (w) {
      // Re-insert so the map's order is least recently seen first, the eviction order.
      this.windows.delete(key);
    } else {
      w = { start: now, logged: 0, suppressed: 0 };
      if (!this.windows.has(key) && this.windows.size >= this.maxKeys) closed = this.evictOldest();
      this.windows.delete(key);
    }
    this.windows.set(key, w);
    let decision: FlapDecision;
    if (w.logged < this.limit) {
      w.logged++;
      decision = "log";
    } else {
      w.suppressed++;
      w.last = detail;
      decision = w.suppressed === 1 ? "suppress-first" : "suppress";
    }
    return closed ? { decision, closed } : { decision };
  }

  /** Close windows that ended by `now`; returns the summaries to log. */
  flush(now: number): FlapSummary<D>[] {
    const out: FlapSummary<D>[] = [];
    for (const [key, w] of this.windows) {
      if (now - w.start < this.windowMs) continue;
      if (w.suppressed > 0) out.push(summary(key, w, this.windowMs));
      const next = this.successor(w, now);
      if (next) this.windows.set(key, next);
      else this.windows.delete(key);
    }
    return out;
  }

  /** Close every window now, ended or not (at shutdown); returns the summaries to log. */
  drain(): FlapSummary<D>[] {
    const out: FlapSummary<D>[] = [];
    for (const [key, w] of this.windows) if (w.suppressed > 0) out.push(summary(key, w, this.windowMs));
    this.windows.clear();
    return out;
  }

  /** When the window of `key` ends, if one is open. */
  windowEnd(key: string): number | undefined {
    const w = this.windows.get(key);
    return w ? w.start + this.windowMs : undefined;
  }

  /** The earliest end of a window that holds suppressed events: when a summary is next due. */
  nextSummaryAt(): number | undefined {
    let at: number | undefined;
    for (const w of this.windows.values()) {
      if (w.suppressed > 0 && (at === undefined || w.start + this.windowMs < at))
        at = w.start + this.windowMs;
    }
    return at;
  }

  get size(): number {
    return this.windows.size;
  }

  /** The window that follows `w`, which has ended by `now`: a held one, or none (log at once again). */
  private successor(w: Window<D>, now: number): Window<D> | undefined {
    if (!this.holdAfterSummary || w.suppressed === 0) return undefined;
    const start = w.start + this.windowMs;
    return now - start < this.windowMs ? { start, logged: this.limit, suppressed: 0 } : undefined;
  }

  private evictOldest(): FlapSummary<D> | undefined {
    for (const [key, w] of this.windows) {
      this.windows.delete(key);
      return w.suppressed > 0 ? summary(key, w, this.windowMs) : undefined;
    }
    return undefined;
  }
}

function summary<D>(key: string, w: Window<D>, windowMs: number): FlapSummary<D> {
  const s: FlapSummary<D> = { key, suppressed: w.suppressed, windowMs, start: w.start };
  if (w.last !== undefined) s.last = w.last;
  return s;
}
