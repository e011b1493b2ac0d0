// `[global] workers = "auto"`: the CPUs this process may really use. The affinity mask (taskset, systemd
// CPUAffinity=) bounds it; a cgroup v2 quota (cpu.max "200000 100000" = 2 CPUs, docker --cpus) bounds it
// again, rounded up, since a worker more than the quota only adds contention.

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { affinityCpuCount } from "./libc.ts";

/** CPUs of a cgroup v2 `cpu.max` text ("max 100000" = no quota); undefined when there is none. */
export function quotaCpus(cpuMax: string): number | undefined {
  const [quota, period] = cpuMax.trim().split(/\s+/);
  if (quota === undefined || quota === "max") return undefined;
  const q = Number(quota);
  const p = Number(period ?? "100000");
  if (!(q > 0) || !(p > 0)) return undefined;
  return Math.max(1, Math.ceil(q / p));
}

/** The cgroup v2 directory of this process, from /proc/self/cgroup ("0::/system.slice/x.service"). */
function cgroupDir(): string | undefined {
  try {
    const line = readFileSync("/proc/self/cgroup", "utf8")
      .split("\n")
      .find((l) => l.startsWith("0::"));
    return line ? `/sys/fs/cgroup${line.slice(3).trim()}`.replace(/\/$/, "") : undefined;
  } catch {
    return undefined;
  }
}

/** The tightest cgroup v2 quota from this process's cgroup up to the root (`root`), in CPUs. */
export function cgroupQuotaCpus(dir = cgroupDir(), root = "/sys/fs/cgroup"): number | undefined {
  let best: number | undefined;
  for (let d = dir; d?.startsWith(root); d = d.slice(0, d.lastIndexOf("/"))) {
    try {
      const q = quotaCpus(readFileSync(`${d}/cpu.max`, "utf8"));
      if (q !== undefined) best = best === undefined ? q : Math.min(best, q);
    } catch {
      // The root has no cpu.max, and a cgroup v1 host has none at all.
    }
    if (d === root) break;
  }
  return best;
}

/** What `workers = "auto"` means here: affinity, then quota; at least 1. */
export function usableCpus(): number {
  let n: number;
  try {
    n = affinityCpuCount();
  } catch {
    n = availableParallelism();
  }
  const q = cgroupQuotaCpus();
  return Math.max(1, q === undefined ? n : Math.min(n, q));
}

/** The number of workers a `[global] workers` value asks for. */
export function resolveWorkers(setting: number | "auto"): number {
  return setting === "auto" ? usableCpus() : setting;
}
