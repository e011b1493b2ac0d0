// MISC_CHECK: run a command; exit 0 is up, 1 is down. With `dynamic`, exit 2..255 is up with weight
// code - 2 (keepalived misc_dynamic). core/exec/run-command.ts runs it and kills its whole process group
// on timeout: a child that ignores SIGTERM and its grandchildren die with it.

import type { CheckConfig } from "../config/types.ts";
import { runCommand, shellArgv } from "../exec/run-command.ts";
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

export async function runScript(check: CheckConfig, target: CheckTarget) {
  if (!check.script) throw new CheckFailure("Set `script` for a script check");
  const r = await runCommand(shellArgv(check.script), { timeoutMs: check.timeout, env: scriptEnv(target) });
  if (r.timedOut) throw new CheckFailure(`timed out after ${check.timeout} ms`);
  if (r.signal) return { ok: false, reason: `killed by ${r.signal}` };
  return scriptVerdict(r.code ?? -1, check.dynamic);
}

export const scriptCheck: CheckFn = (check, target) => measure(() => runScript(check, target));
