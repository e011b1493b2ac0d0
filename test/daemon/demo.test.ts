// `tcpvs serve --demo`: the first thing a new user runs. It must answer curl with both backends taking
// turns, say where to point curl and status, and stop on Ctrl-C with exit 0.

import { afterEach, expect, test } from "bun:test";
import { missingTools } from "../tools.ts";
import { exitWithin, freePort, killIfRunning, type Proc, runTcpvs, spawnTcpvs, waitLine } from "./harness.ts";

const NO_CURL = missingTools("the demo's curl test", "curl");

/** curl, as the demo's own hint tells a new user to run it. */
async function curl(url: string): Promise<{ code: number; out: string }> {
  const c = Bun.spawn(["curl", "-s", "--max-time", "5", url], { stdout: "pipe" });
  const out = await new Response(c.stdout).text();
  return { code: await c.exited, out };
}

let p: Proc | undefined;
afterEach(() => killIfRunning(p));

test.skipIf(NO_CURL !== undefined)(
  "serve --demo answers curl round robin, prints curl and status hints, SIGINT exits 0",
  async () => {
    const port = freePort();
    p = spawnTcpvs(["serve", "--demo", "--port", String(port)]);
    await waitLine(p, /stop:\s+Ctrl-C/, 15_000);
    const text = p.lines.join("\n");
    expect(text).toContain(`curl -s http://127.0.0.1:${port}/`);
    const statusHint = text.match(/status: .* status --control (unix:\S+)/);
    expect(statusHint).not.toBeNull();

    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await curl(`http://127.0.0.1:${port}/`);
      expect(r.code).toBe(0);
      bodies.push(r.out.trim());
    }
    // Two backends in strict turns under rr.
    expect(new Set(bodies).size).toBe(2);
    expect(bodies[0]).not.toBe(bodies[1]);
    expect(bodies[0]).toBe(bodies[2]!);
    expect(bodies[1]).toBe(bodies[3]!);

    // The printed status command works against the running demo.
    const st = await runTcpvs(["status", "--json", "--control", statusHint![1]!]);
    expect(st.code).toBe(0);
    const snap = JSON.parse(st.out) as { pools: Array<{ servers: Array<{ requests_total: number }> }> };
    expect(snap.pools[0]!.servers.reduce((n, s) => n + s.requests_total, 0)).toBe(4);

    p.proc.kill("SIGINT");
    expect(await exitWithin(p, 8000)).toBe(0);
  },
  30_000,
);
