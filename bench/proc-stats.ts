// What every bench reads of a contender process, and how it waits for one to listen: written once.

import { readdirSync, readFileSync } from "node:fs";

/** User and system CPU ticks of a process (fields 14 and 15 of /proc/PID/stat), USER_HZ units. */
export function cpuTicksOf(pid: number): [user: number, system: number] {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [Number(f[11]), Number(f[12])];
}

/** Resident set size in KiB (VmRSS), NaN when the process is gone. */
export function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/**
 * Wait until 127.0.0.1:port accepts (bounded: `tries` × 50 ms). With the contender's process, fail at
 * once with its stderr when it exits instead.
 */
export async function waitPort(port: number, p?: ReturnType<typeof Bun.spawn>, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (p && p.exitCode !== null) {
      const err = p.stderr instanceof ReadableStream ? await new Response(p.stderr).text() : "";
      throw new Error(`The contender on port ${port} exited ${p.exitCode}: ${err}`);
    }
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(`Cannot reach 127.0.0.1:${port}: the contender did not start`);
}

/** Each thread of a process: its id, name and nice value (field 19 of /proc/PID/task/TID/stat). */
export function threadsOf(pid: number): Array<{ tid: number; comm: string; nice: number }> {
  return readdirSync(`/proc/${pid}/task`).map((t) => {
    const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      tid: Number(t),
      comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
      nice: Number(f[16]),
    };
  });
}
