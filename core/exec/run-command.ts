// The one way tcpvs runs an operator's command: check scripts, check notify commands, VRRP track
// scripts and VRRP notify scripts all come here.
//
// The command starts in its own session (setsid), so it leads a process group of its own. When it
// outlives its timeout the whole group gets SIGTERM, then SIGKILL `killGraceMs` later: a shell's
// children and their children die with it, not only the shell (a `sleep 30 &` that the shell waits for
// would otherwise live on as an orphan). The caller hears of the timeout at once; the kill sequence
// runs on behind it, so no caller ever waits longer than its timeout. A command that exits in time may
// leave background children running: that is the command's own business (keepalived does the same).

import { TcpvsError } from "../errors/tcpvs-error.ts";
import { asScriptUser } from "./script-user.ts";

export interface RunOptions {
  timeoutMs: number;
  env?: Record<string, string | undefined>;
  /** Between SIGTERM and SIGKILL of the group after a timeout. */
  killGraceMs?: number;
  /** Keep the first bytes of stderr (for a log line); otherwise stderr goes nowhere. */
  captureStderr?: boolean;
  /** Do not keep the event loop alive for this command (a fire-and-forget notify). */
  unref?: boolean;
}

export interface RunResult {
  /** The exit code; null when a signal ended the command or it timed out. */
  code: number | null;
  /** The signal that ended the command ("SIGKILL"), when one did. */
  signal: string | null;
  timedOut: boolean;
  /** Up to STDERR_MAX bytes of stderr, when captured. */
  stderr: string;
}

/** The command could not be started at all (no /bin/sh, no fork): code spawn_failed. */
export class SpawnError extends TcpvsError {
  declare readonly code: "spawn_failed";
  constructor(message: string, cause: unknown) {
    super("spawn_failed", message, { cause });
    this.name = "SpawnError";
  }
}

const STDERR_MAX = 4096;
const DEFAULT_GRACE_MS = 500;
/** How long stderr may stay open after the command exits (a background child can hold it). */
const STDERR_LINGER_MS = 100;

/** A shell command line with arguments appended as separate words, keepalived style ("$@"). */
export function shellArgv(command: string, args: string[] = [], name = "tcpvs"): string[] {
  return args.length === 0 ? ["/bin/sh", "-c", command] : ["/bin/sh", "-c", `${command} "$@"`, name, ...args];
}

/** Signal every process of the group `pgid`; a group already gone is fine. */
export function killGroup(pgid: number, signal: "SIGTERM" | "SIGKILL"): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nobody left in the group.
  }
}

async function readBounded(stream: ReadableStream<Uint8Array>, stop: Promise<void>): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const stopped = stop.then(() => undefined);
  try {
    for (;;) {
      const r = await Promise.race([reader.read(), stopped]);
      if (!r || r.done) break;
      if (size < STDERR_MAX) {
        chunks.push(r.value.subarray(0, STDERR_MAX - size));
        size += Math.min(r.value.length, STDERR_MAX - size);
      }
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Run `argv` in its own process group; resolves at its exit or at its timeout, never later. */
export async function runCommand(argv: string[], o: RunOptions): Promise<RunResult> {
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(asScriptUser(argv), {
      detached: true,
      stdin: "ignore",
      stdout: "ignore",
      stderr: o.captureStderr ? "pipe" : "ignore",
      env: o.env ?? (process.env as Record<string, string>),
    });
  } catch (e) {
    throw new SpawnError(`Cannot start ${JSON.stringify(argv.join(" "))}: ${(e as Error).message}`, e);
  }
  if (o.unref) proc.unref();
  let expire: () => void = () => {};
  const expired = new Promise<"timeout">((resolve) => {
    expire = () => resolve("timeout");
  });
  const timer = setTimeout(expire, o.timeoutMs);
  if (o.unref) timer.unref?.();
  const exited = proc.exited.then(() => "exited" as const);
  const stderr =
    o.captureStderr && proc.stderr instanceof ReadableStream
      ? readBounded(
          proc.stderr,
          exited.then(() => Bun.sleep(STDERR_LINGER_MS)),
        )
      : Promise.resolve("");
  const how = await Promise.race([exited, expired]);
  clearTimeout(timer);
  if (how === "timeout") {
    killGroup(proc.pid, "SIGTERM");
    const kill = setTimeout(() => killGroup(proc.pid, "SIGKILL"), o.killGraceMs ?? DEFAULT_GRACE_MS);
    if (o.unref) kill.unref?.();
    return {
      code: null,
      signal: null,
      timedOut: true,
      stderr: await Promise.race([stderr, Promise.resolve("")]),
    };
  }
  const signal = proc.signalCode ? String(proc.signalCode) : null;
  return { code: signal ? null : proc.exitCode, signal, timedOut: false, stderr: await stderr };
}

export interface SyncRunResult {
  /** The exit code; null when a signal or the timeout ended the command. */
  code: number | null;
  timedOut: boolean;
  stderr: string;
  /** Up to STDERR_MAX bytes of stdout. */
  stdout: string;
}

/**
 * Run one of tcpvs's own system commands (not an operator's: it keeps the daemon's privileges, no
 * script_user) to completion, feeding it `input`. Synchronous, for a step that must be done before the
 * next one starts (the VRRP worker installs a firewall table before it adds a VIP); so only for short
 * commands, bounded by timeoutMs.
 */
export function runSync(argv: string[], o: { timeoutMs: number; input?: string }): SyncRunResult {
  try {
    const r = Bun.spawnSync(argv, {
      stdin: o.input === undefined ? "ignore" : Buffer.from(o.input),
      stdout: "pipe",
      stderr: "pipe",
      timeout: o.timeoutMs,
    });
    return {
      code: r.exitCode,
      timedOut: r.exitedDueToTimeout === true,
      stderr: r.stderr.toString("utf8").slice(0, STDERR_MAX),
      stdout: r.stdout.toString("utf8").slice(0, STDERR_MAX),
    };
  } catch (e) {
    throw new SpawnError(`Cannot start ${JSON.stringify(argv.join(" "))}: ${(e as Error).message}`, e);
  }
}
