// Declared options of each scheduler, checked once at config time so a factory can read them with
// plain defaults. Messages say what to do first and quote the value that was wrong.

import { parseKey } from "./key.ts";
import type { SchedulerFactory } from "./types.ts";

export type OptionSpec =
  | { type: "boolean"; default: boolean; doc: string }
  | {
      type: "number";
      default: number;
      min: number;
      max: number;
      integer?: boolean;
      prime?: boolean;
      doc: string;
    }
  | { type: "string"; default?: string; pattern: RegExp; doc: string }
  | { type: "key"; default: string; doc: string };

/** One scheduler as the registry knows it. */
export interface SchedulerDef {
  name: string;
  /** One line for docs and `tcpvs config` help. */
  summary: string;
  options: Record<string, OptionSpec>;
  create: SchedulerFactory;
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function show(v: unknown): string {
  return typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
}

/** Errors for one option value; empty when it is fine. */
export function checkOption(scheduler: string, name: string, spec: OptionSpec, v: unknown): string[] {
  const where = `option "${name}" of scheduler "${scheduler}"`;
  switch (spec.type) {
    case "boolean":
      return typeof v === "boolean" ? [] : [`Set ${where} to true or false: got "${show(v)}"`];
    case "number": {
      if (typeof v !== "number" || !Number.isFinite(v) || v < spec.min || v > spec.max) {
        return [`Set ${where} to a number from ${spec.min} to ${spec.max}: got "${show(v)}"`];
      }
      if ((spec.integer || spec.prime) && !Number.isInteger(v)) {
        return [`Set ${where} to a whole number: got "${show(v)}"`];
      }
      if (spec.prime && !isPrime(v)) return [`Set ${where} to a prime number: got "${show(v)}"`];
      return [];
    }
    case "string":
      return typeof v === "string" && spec.pattern.test(v)
        ? []
        : [`Set ${where} to text matching ${spec.pattern}: got "${show(v)}"`];
    case "key": {
      if (typeof v !== "string") return [`Set ${where} to text: got "${show(v)}"`];
      const k = parseKey(v);
      return typeof k === "string" ? [`${k} (${where})`] : [];
    }
  }
}

/** Errors for a whole options table against `specs` (unknown names included). */
export function validateOptions(
  scheduler: string,
  specs: Record<string, OptionSpec>,
  options: Record<string, unknown>,
): string[] {
  const errors: string[] = [];
  for (const [name, v] of Object.entries(options)) {
    const spec = specs[name];
    if (!spec) {
      const valid = Object.keys(specs).sort().join(", ") || "none";
      errors.push(`Remove unknown option "${name}" of scheduler "${scheduler}" (valid: ${valid})`);
      continue;
    }
    errors.push(...checkOption(scheduler, name, spec, v));
  }
  return errors;
}

export function numberOption(options: Record<string, unknown>, name: string, dflt: number): number {
  const v = options[name];
  return typeof v === "number" && Number.isFinite(v) ? v : dflt;
}

export function boolOption(options: Record<string, unknown>, name: string, dflt: boolean): boolean {
  const v = options[name];
  return typeof v === "boolean" ? v : dflt;
}

export function stringOption(options: Record<string, unknown>, name: string, dflt: string): string {
  const v = options[name];
  return typeof v === "string" ? v : dflt;
}
