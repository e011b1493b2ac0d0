// One logger for the whole program. Text on a terminal, JSON lines for machines, and a `<N>` syslog
// priority prefix when journald reads our stderr so it keeps the levels.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";
export type LogFields = Record<string, unknown>;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SYSLOG_PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Prefix each line with `<N>` for journald; defaults to whether $JOURNAL_STREAM is set. */
  journald?: boolean;
  sink?: LogSink;
  now?: () => Date;
}

export function isLogLevel(s: string): s is LogLevel {
  return s in LEVELS;
}

const stderrSink: LogSink = { write: (line) => process.stderr.write(line) };

export class Logger {
  private threshold: number;
  readonly level: LogLevel;
  readonly format: LogFormat;
  private readonly journald: boolean;
  private readonly sink: LogSink;
  private readonly now: () => Date;
  private readonly bound: LogFields;

  constructor(opts: LoggerOptions = {}, bound: LogFields = {}) {
    this.level = opts.level ?? "info";
    this.threshold = LEVELS[this.level];
    this.format = opts.format ?? "text";
    this.journald = opts.journald ?? Boolean(process.env.JOURNAL_STREAM);
    this.sink = opts.sink ?? stderrSink;
    this.now = opts.now ?? (() => new Date());
    this.bound = bound;
  }

  /** A logger that adds `fields` to every line (e.g. the subsystem). */
  child(fields: LogFields): Logger {
    return new Logger(
      { level: this.level, format: this.format, journald: this.journald, sink: this.sink, now: this.now },
      { ...this.bound, ...fields },
    );
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.threshold;
  }

  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (LEVELS[level] < this.threshold) return;
    const all = fields ? { ...this.bound, ...fields } : this.bound;
    const prefix = this.journald ? `<${SYSLOG_PRIORITY[level]}>` : "";
    if (this.format === "json") {
      this.sink.write(`${prefix}${JSON.stringify({ time: this.now().toISOString(), level, msg, ...all })}\n`);
      return;
    }
    let line = this.journald
      ? `${prefix}${msg}`
      : `${this.now().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}`;
    // A field with no value is left out, not written "undefined".
    for (const [k, v] of Object.entries(all)) if (v !== undefined) line += ` ${k}=${formatValue(v)}`;
    this.sink.write(`${line}\n`);
  }
}

/** A value as a person reads it: "quoted" only when it must be, in words rather than JSON. */
export function formatValue(v: unknown): string {
  const text = humanText(v);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

function humanText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Error) return v.message;
  if (v instanceof Date) return v.toISOString();
  if (v === null) return "none";
  if (Array.isArray(v)) return v.length ? v.map(humanText).join(",") : "none";
  if (typeof v === "object") {
    // {"interface eth0": {"vrid": 0}} -> "interface eth0: vrid 0"; {} -> "none".
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) =>
        x !== null && typeof x === "object" && !(x instanceof Date)
          ? `${k}: ${humanText(x)}`
          : `${k} ${humanText(x)}`,
      );
    return parts.length ? parts.join(", ") : "none";
  }
  return String(v);
}

/** The process-wide logger; cmd/main.ts replaces it once flags are parsed. */
export let log = new Logger();

export function setLogger(l: Logger): void {
  log = l;
}

/** A logger that keeps lines in memory: for tests that assert what was logged. */
export function memoryLogger(level: LogLevel = "debug"): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new Logger({
    level,
    format: "json",
    journald: false,
    sink: { write: (l) => lines.push(l) },
  });
  return { logger, lines };
}
