// Out of descriptors with no ceiling to prevent it (issue 14, item 1): the switch in a child process
// with RLIMIT_NOFILE at 64 and 150 clients. Bun retries a failed accept() at once, forever; the switch
// must instead stop accepting for a moment (CPU time read from /proc stays low: a resource bound, not
// a speed claim), log it once per interval with a count, answer a connect that fails for want of a
// descriptor with 503 local_emfile without blaming the server, and serve again when clients leave.

import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Socket } from "bun";
import { BUN, spawnLines, waitLine } from "../daemon/harness.ts";
import { exchange, GET, TestBackend } from "./helpers.ts";

const CHILD = join(import.meta.dir, "fixtures/switch-child.ts");

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

test("out of descriptors: accepting stops for a moment instead of spinning, logged with a count, nobody blamed", async () => {
  const backend = new TestBackend("a");
  const p = spawnLines(["bash", "-c", `ulimit -n 64 && exec "${BUN}" "${CHILD}" ${backend.port}`]);
  const socks: Socket<undefined>[] = [];
  const answers: string[] = [];
  try {
    const at = await waitLine(p, /^port \d+/, 15_000);
    const port = Number(p.lines[at]!.slice(5));
    const t0 = Date.now();
    // 150 clients, each sending a whole request: far more than 64 descriptors allow.
    for (let i = 0; i < 150; i++) {
      Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          open: (s) => {
            socks.push(s);
            s.write(GET("/"));
          },
          data: (_s, d) => {
            answers.push(d.toString("latin1"));
          },
          error: () => {},
        },
      }).catch(() => {});
    }
    await Bun.sleep(1000);
    const c0 = cpuSeconds(p.proc.pid);
    await Bun.sleep(2000);
    expect(cpuSeconds(p.proc.pid) - c0).toBeLessThan(0.6);

    const line = await waitLine(p, /Out of file descriptors/, 3000);
    expect(p.lines[line]).toMatch(/reason=EMFILE/);
    expect(p.lines[line]).toMatch(/count=\d+/);
    // Once per interval (1 s here) at most, though the shortage was met dozens of times.
    const seconds = (Date.now() - t0) / 1000;
    expect(p.lines.filter((l) => /Out of file descriptors/.test(l)).length).toBeLessThanOrEqual(seconds + 2);

    // Answers so far: served, or 503 for a connect that had no descriptor; never 502/504.
    const statuses = answers.map((a) => a.slice(9, 12));
    expect(statuses.filter((s) => s !== "200" && s !== "503")).toEqual([]);
    for (const a of answers.filter((x) => x.startsWith("HTTP/1.1 503"))) expect(a).toContain("local_emfile");

    p.proc.kill("SIGUSR2");
    const c = await waitLine(p, /^counters /, 3000);
    expect(p.lines[c]).toMatch(/errors 0$/);
    expect(p.lines[c]).not.toMatch(/server_connect|"retry"/);

    // The clients leave: service resumes.
    for (const s of socks) s.end();
    await Bun.sleep(1500);
    const x = await exchange(port, GET("/again"), { timeoutMs: 3000 });
    expect(x.responses[0]?.status).toBe(200);
  } finally {
    for (const s of socks) s.end();
    p.proc.kill(9);
    await p.proc.exited;
    backend.stop();
  }
}, 30_000);
