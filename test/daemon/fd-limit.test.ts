// Running out of file descriptors (issue 14, item 1): `tcpvs serve` under a low RLIMIT_NOFILE with more
// clients than descriptors. The clients over the ceiling wait in the kernel's accept queue; the process
// does not spin (its CPU time, read from /proc, stays low while they wait: a resource bound, not a speed
// claim); the limit is logged once per interval with a count; no healthy server is blamed; and service
// resumes for every waiting client once the others leave.

import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Socket } from "bun";
import {
  BUN,
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  MAIN,
  spawnLines,
  statusJson,
  tempDir,
  waitLine,
  writeConfig,
} from "./harness.ts";

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5), counted after "pid (comm)": indexes 11 and 12 here; clock ticks.
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Client {
  sock: Socket<undefined> | undefined;
  /** The status of the first response, or 0 when the connection ended without one. */
  status: Promise<number>;
}

function client(port: number, text: string): Client {
  let got = "";
  let settle!: (n: number) => void;
  const status = new Promise<number>((r) => {
    settle = r;
  });
  const c: Client = { sock: undefined, status };
  Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open: (s) => {
        c.sock = s;
        s.write(text);
      },
      data: (_s, d) => {
        got += d.toString("latin1");
        if (got.length >= 12) settle(Number(got.slice(9, 12)));
      },
      close: () => settle(0),
      error: () => settle(0),
      connectError: () => settle(0),
    },
  }).catch(() => settle(0));
  return c;
}

test("more clients than descriptors: they wait, no spin, the limit logged with a count, nobody blamed, service resumes", async () => {
  const tmp = tempDir();
  const b = backend("b1");
  const port = freePort();
  const control = `unix:${tmp.dir}/c.sock`;
  const file = writeConfig(
    tmp.dir,
    configText({
      port,
      control,
      backends: [b],
      checkInterval: "1s",
      // One data path: workers do not pause their listeners at the descriptor ceiling yet (they accept
      // and answer 503; docs/workers.md), and this test is about clients waiting in the accept queue.
      workers: 1,
    }),
  );
  // 160 descriptors: the ceiling is (160 - reserve) / 2, well under the 300 clients below.
  const p = spawnLines(["bash", "-c", `ulimit -n 160 && exec "${BUN}" "${MAIN}" serve -c "${file}"`]);
  const holders: Client[] = [];
  try {
    await waitLine(p, /tcpvs serving/, 15_000);
    const pid = p.proc.pid;

    // 100 holders send half a head (they are mid-request: never closed to make room) and stay.
    for (let i = 0; i < 100; i++) holders.push(client(port, "GET / HTTP/1.1\r\n"));
    // 200 more with whole requests: they wait behind the holders.
    const waiting: Client[] = [];
    for (let i = 0; i < 200; i++)
      waiting.push(client(port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    await Bun.sleep(1000);

    // While they wait: the process must be nearly idle (a spinning accept loop burns a whole core).
    const c0 = cpuSeconds(pid);
    await Bun.sleep(2000);
    const used = cpuSeconds(pid) - c0;
    expect(used).toBeLessThan(0.6);

    // The ceiling was sized from the descriptor limit and logged at start; reaching it is logged.
    const at = p.lines.findIndex((l) => /connection ceiling/.test(l));
    const ceiling = Number(/max_connections=(\d+)/.exec(p.lines[at] ?? "")?.[1]);
    expect(ceiling).toBeGreaterThan(10);
    expect(ceiling).toBeLessThan(80);
    const limitLine = await waitLine(p, /Connection limit reached/, 5000);
    expect(p.lines[limitLine]).toMatch(/count=\d+/);

    // The holders leave: every waiting client is served, none with a 5xx.
    for (const h of holders) h.sock?.end();
    const statuses = await Promise.race([
      Promise.all(waiting.map((w) => w.status)),
      Bun.sleep(15_000).then(() => [] as number[]),
    ]);
    expect(statuses.length).toBe(200);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    // Nobody blamed: the server has no errors, no connect timeout or local failure was counted.
    const st = await statusJson(control);
    expect(st.pools[0]!.servers[0]!.errors_total).toBe(0);
    expect(Object.keys(st.counters).filter((k) => /server_connect|local_|max_connections/.test(k))).toEqual(
      [],
    );
    // Once per interval: far fewer limit lines than the times the limit was hit.
    const limitLines = p.lines.filter((l) => /Connection limit reached/.test(l));
    expect(limitLines.length).toBeGreaterThanOrEqual(1);
    expect(limitLines.length).toBeLessThanOrEqual(4);

    p.proc.kill("SIGTERM");
    expect(await exitWithin(p, 8000)).toBe(0);
  } finally {
    for (const h of holders) h.sock?.end();
    killIfRunning(p);
    b.stop();
    tmp.cleanup();
  }
}, 45_000);
