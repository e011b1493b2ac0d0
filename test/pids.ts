// Whether a process is still running, for tests that check a timeout killed what it should.

import { readFileSync } from "node:fs";

/** Alive and not a zombie (PID 1 here does not reap orphans, so a killed orphan stays a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
