// Quorum end to end: when a pool's live weight drops below its quorum, requests go to its sorry_server;
// when a server comes back, traffic returns to the pool. Status and the event stream say so.

import { expect, test } from "bun:test";
import { join } from "node:path";
import { SchemaSet } from "../json-schema.ts";
import {
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  runTcpvs,
  startServe,
  statusJson,
  tempDir,
  waitFor,
  writeConfig,
} from "./harness.ts";

// workers = 1 (the switch on the main thread) and 2 (its counters summed from shared memory).
for (const workers of [1, 2])
  test(`workers = ${workers}: pool below quorum: sorry_server answers; a server back restores the pool`, async () => {
    const tmp = tempDir();
    const [b1, b2, sorry] = [backend("b1"), backend("b2"), backend("sorry")];
    const port = freePort();
    const control = `unix:${tmp.dir}/c.sock`;
    const text = configText({ port, control, backends: [b1, b2], checkInterval: "300ms", workers }).replace(
      'scheduler = "rr"',
      `scheduler = "rr"\nquorum = 2\nsorry_server = "${sorry.address}"`,
    );
    const p = await startServe(writeConfig(tmp.dir, text));
    let b2again: ReturnType<typeof Bun.serve> | undefined;
    try {
      const get = async () =>
        (
          await (await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } })).text()
        ).trim();
      expect(["b1", "b2"]).toContain(await get());
      const b2port = b2.server.port;
      b2.stop();
      await waitFor(
        async () => (await statusJson(control)).pools[0]!.quorum_up === false,
        5000,
        "quorum lost",
      );
      expect(await get()).toBe("sorry");
      expect(await get()).toBe("sorry");
      // Status counts what the sorry server answered (summed over the data-path workers, if any).
      const st = await statusJson(control);
      expect(st.pools[0]!.sorry_server).toMatchObject({
        address: sorry.address,
        requests_total: 2,
        errors_total: 0,
      });
      expect(
        new SchemaSet(join(import.meta.dir, "..", "..", "docs", "schema")).validate("status.schema.json", st),
      ).toEqual([]);
      const table = (await runTcpvs(["status", "--control", control])).out;
      expect(table).toMatch(new RegExp(`sorry_server +${sorry.address} +serving +- +0 +\\d+ +2 +0 `));
      // b2 back on its address: quorum regained, the pool serves again.
      b2again = Bun.serve({ hostname: "127.0.0.1", port: b2port, fetch: () => new Response("b2\n") });
      await waitFor(
        async () => (await statusJson(control)).pools[0]!.quorum_up === true,
        5000,
        "quorum back",
      );
      expect(["b1", "b2"]).toContain(await get());
      p.proc.kill("SIGTERM");
      expect(await exitWithin(p, 8000)).toBe(0);
    } finally {
      killIfRunning(p);
      b2again?.stop(true);
      b1.stop();
      sorry.stop();
      tmp.cleanup();
    }
  }, 30_000);
