// MISC_CHECK: run a command; exit 0 is up, 1 is down. With `dynamic`, exit 2..255 is up with weight
// code - 2 (keepalived misc_dynamic). The command runs in its own session so a timeout can SIGKILL
// the whole process group: a child that ignores SIGTERM and its grandchildren die with it.

import type { CheckConfig } from "../config/types.ts";
import { CheckFailure, type CheckFn, type CheckTarget, measure } from "./types.ts";

/** Interpret an exit code; exported for tests of the rule itself. */
export function scriptVerdict(
  code: number,
  dynamic: boolean,
): { ok: boolean; reason: string; weight?: number } {
  if (code === 0) return { ok: true, reason: "exit 0" };
  if (dynamic && code >= 2 && code <= 255) return { ok: true, reason: `exit ${code}`, weight: code - 2 };
  return { ok: false, reason: `exit ${code}` };
}

export function scriptEnv(target: CheckTarget): Record<string, string> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TCPVS_ADDRESS: target.text,
  };
  if (target.kind === "inet") {
    env.TCPVS_HOST = target.host;
    env.TCPVS_PORT = String(target.port);
  }
  return env;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

export async function runScript(check: CheckConfig, target: CheckTarget) {
  if (!check.script) throw new CheckFailure("Set `script` for a script check");
  const proc = Bun.spawn(["/bin/sh", "-c", check.script], {
    detached: true,
    stdio: ["ignore", "ignore", "ignore"],
    env: scriptEnv(target),
  });
  let timedOut = false;
  let giveUp: () => void = () => {};
  // Should the process survive SIGKILL of its group (it cannot, short of a kernel bug or a
  // setsid in the child), stop waiting a moment later so the checker never hangs.
  const abandoned = new Promise<number>((resolve) => {
    giveUp = () => resolve(-1);
  });
  let grace: ReturnType<typeof setTimeout> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(proc.pid);
    grace = setTimeout(giveUp, 1000);
  }, check.timeout);
  try {
    const code = await Promise.race([proc.exited, abandoned]);
    if (timedOut) throw new CheckFailure(`timed out after ${check.timeout} ms`);
    if (proc.signalCode) return { ok: false, reason: `killed by ${proc.signalCode}` };
    return scriptVerdict(code, check.dynamic);
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
  }
}

export const scriptCheck: CheckFn = (check, target) => measure(() => runScript(check, target));
