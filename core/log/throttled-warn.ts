// A WARN line per key per interval, however often the event happens: the first occurrence is logged at
// once; later ones in the same interval are counted and reported in one line when the interval ends
// ("<message>: 37 more times in 10 s, last: <reason>"). While the event keeps happening, that summary is the
// only line per interval; an interval without one lets the key log at once again. Keys are capped, so
// a flood of distinct keys cannot grow memory: the least recently seen key is summarised and dropped.
// The counting lives in FlapLog (also used for health-check flapping); this adds the logger and timer.

import { FlapLog, type FlapSummary } from "./flap-log.ts";
import type { LogFields, Logger } from "./logger.ts";

export interface ThrottledWarnOptions {
  /** Length of an interval; default 10 s. */
  intervalMs?: number;
  /** Most keys remembered at once; default 1024. */
  maxKeys?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface Occurrence {
  message: string;
  fields: LogFields;
  reason: string | undefined;
}

const MAX_REASON = 200;

/** A reason may quote what a peer sent: it goes into the line's text on one line, bounded. */
function oneLine(s: string): string {
  const cut = s.length > MAX_REASON ? `${s.slice(0, MAX_REASON)}...` : s;
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function unrefTimer(fn: () => void, ms: number): unknown {
  const t = setTimeout(fn, ms);
  (t as { unref?: () => void }).unref?.();
  return t;
}

export class ThrottledWarn {
  private readonly logger: Logger;
  private readonly counts: FlapLog<Occurrence>;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private timer: unknown;
  private timerAt: number | undefined;
  readonly intervalMs: number;

  constructor(logger: Logger, opts: ThrottledWarnOptions = {}) {
    this.logger = logger;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.counts = new FlapLog<Occurrence>(1, this.intervalMs, {
      maxKeys: opts.maxKeys ?? 1024,
      holdAfterSummary: true,
    });
    this.now = opts.now ?? Date.now;
    this.setTimer = opts.setTimer ?? unrefTimer;
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /**
   * `key` happened: log "`message`: `reason`" with `fields` (and `reason` as a field) now, or count it
   * for the interval's summary. Returns whether a line was written now.
   */
  warn(key: string, message: string, fields: LogFields = {}, why?: string): boolean {
    const reason = why === undefined ? undefined : oneLine(why);
    const now = this.now();
    const { decision, closed } = this.counts.decide(key, now, { message, fields, reason });
    if (closed) this.summarise(closed);
    if (decision === "log") {
      if (reason === undefined) this.logger.warn(message, fields);
      else this.logger.warn(`${message}: ${reason}`, { ...fields, reason });
      return true;
    }
    if (decision === "suppress-first") this.schedule(this.counts.windowEnd(key) ?? now);
    return false;
  }

  /** Log every pending summary now and forget all keys (at shutdown or reload). */
  close(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
    for (const s of this.counts.drain()) this.summarise(s);
  }

  /** Keys remembered now (for tests of the cap). */
  get size(): number {
    return this.counts.size;
  }

  private schedule(at: number): void {
    if (this.timerAt !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timerAt = at;
    this.timer = this.setTimer(() => this.fire(), Math.max(0, at - this.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    for (const s of this.counts.flush(this.now())) this.summarise(s);
    const next = this.counts.nextSummaryAt();
    if (next !== undefined) this.schedule(next);
  }

  private summarise(s: FlapSummary<Occurrence>): void {
    const { suppressed: count, last } = s;
    if (!last) return;
    // Summaries given early (close, eviction) cover only the time the window had run.
    const span = Math.min(this.intervalMs, Math.max(0, this.now() - s.start));
    const seconds = Math.round(span / 100) / 10;
    const why = last.reason === undefined ? "" : `, last: ${last.reason}`;
    const fields: LogFields = { ...last.fields, repeated: count, seconds };
    if (last.reason !== undefined) fields.reason = last.reason;
    const times = count === 1 ? "time" : "times";
    this.logger.warn(`${last.message}: ${count} more ${times} in ${seconds} s${why}`, fields);
  }
}
