// What every check type shares: the target it probes, the outcome it reports, and the one failure
// class a check throws so its reason reaches the operator unchanged.

import { checkSection } from "../config/check-schema.ts";
import { sectionDefaults } from "../config/schema-kit.ts";
import type { CheckConfig, Endpoint } from "../config/types.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";
import { hostPort } from "../net/endpoint.ts";

export interface CheckOutcome {
  ok: boolean;
  /** Why: "refused", "timed out after 1000 ms", "status 503", "connected" ... */
  reason: string;
  latencyMs: number;
  /** Set by a dynamic script check: the weight the server should take. */
  weight?: number;
}

/** Where a check connects: the server's address, with the check's `port` override applied. */
export type CheckTarget =
  | { kind: "inet"; host: string; port: number; family: 4 | 6; text: string }
  | { kind: "unix"; path: string; text: string };

export function targetOf(address: Endpoint, port?: number): CheckTarget {
  if (address.kind === "unix" || port === undefined || port === address.port) return address;
  const text = hostPort(address.host, port);
  return { kind: "inet", host: address.host, port, family: address.family, text };
}

/** A check type: probe `target` once, never longer than `check.timeout`, never throw. */
export type CheckFn = (check: CheckConfig, target: CheckTarget) => Promise<CheckOutcome>;

/** Thrown inside a check; `reason` becomes the outcome's reason as is. */
export class CheckFailure extends TcpvsError {
  declare readonly code: "check_failed";
  readonly reason: string;
  constructor(reason: string) {
    super("check_failed", reason);
    this.name = "CheckFailure";
    this.reason = reason;
  }
}

export function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

/** Run `body`, turning any throw into a failed outcome with a readable reason. */
export async function measure(
  body: (start: number) => Promise<{ ok: boolean; reason: string; weight?: number }>,
): Promise<CheckOutcome> {
  const start = performance.now();
  try {
    const r = await body(start);
    const out: CheckOutcome = { ok: r.ok, reason: r.reason, latencyMs: elapsed(start) };
    if (r.weight !== undefined) out.weight = r.weight;
    return out;
  } catch (e) {
    return { ok: false, reason: reasonOf(e), latencyMs: elapsed(start) };
  }
}

/** Map socket errors to the short words operators know. */
export function reasonOf(e: unknown): string {
  if (e instanceof CheckFailure) return e.reason;
  // Node/Bun socket errors carry the errno name in `code`; ours (SysError ...) in `errnoName`.
  const code = (e as { errnoName?: unknown } | null)?.errnoName ?? (e as { code?: unknown } | null)?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "refused";
    case "ECONNRESET":
      return "connection reset";
    case "EHOSTUNREACH":
      return "host unreachable";
    case "ENETUNREACH":
      return "network unreachable";
    case "ENOENT":
      return "no such socket";
    case "EACCES":
    case "EPERM":
      return "permission denied";
  }
  const msg = e instanceof Error ? e.message : String(e);
  return typeof code === "string" ? `${code}: ${msg}` : msg;
}

export function timedOut(ms: number): CheckFailure {
  return new CheckFailure(`timed out after ${ms} ms`);
}

/** A fully defaulted check config (the schema's defaults), for the CLI and tests; `over` wins. */
export function checkDefaults(over: Partial<CheckConfig> & { type: CheckConfig["type"] }): CheckConfig {
  return { ...sectionDefaults(checkSection), ...over };
}
