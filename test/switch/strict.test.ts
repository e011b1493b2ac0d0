// Every strictness rule end to end: the refused request gets its status from tcpvs and not one byte of
// it reaches the backend; its twin goes through.

import { afterAll, describe, expect, test } from "bun:test";
import { twins } from "../http/twins.ts";
import { exchange, type Rig, rig, TestBackend } from "./helpers.ts";

describe("strict requests through the switch", () => {
  const rigs = new Map<string, Rig>();
  const backend = new TestBackend("b1");

  async function rigFor(opts: Record<string, number> | undefined): Promise<Rig> {
    const key = JSON.stringify(opts ?? {});
    let r = rigs.get(key);
    if (!r) {
      r = await rig(
        { web: [backend] },
        {
          name: `web${rigs.size}`,
          max_header_size: opts?.maxHeaderSize ?? 8192,
          max_headers: opts?.maxHeaders ?? 100,
          max_body_size: opts?.maxBodySize ?? 0,
        },
      );
      rigs.set(key, r);
    }
    return r;
  }

  afterAll(async () => {
    for (const r of rigs.values()) await r.sw.close(0);
    backend.stop();
  });

  for (const t of twins) {
    if (t.opts?.maxRequestLine !== undefined) continue; // the switch derives it; see the 414 test below
    test(t.rule, async () => {
      const r = await rigFor(t.opts);
      const bytes = backend.bytes;
      const reqs = backend.requests.length;
      const bad = await exchange(r.port, t.bad);
      expect(bad.responses[0]?.status).toBe(t.status);
      expect(bad.responses[0]?.body).toContain(t.code);
      expect(bad.responses[0]?.headers.connection).toBe("close");
      expect(backend.bytes).toBe(bytes);
      expect(backend.requests.length).toBe(reqs);
      expect(r.cluster.counters.get(`reject.${t.code}`)).toBeGreaterThan(0);
      const good = await exchange(r.port, t.good, { method: t.good.split(" ")[0] });
      expect(good.responses[0]?.status).toBe(200);
      expect(backend.requests.length).toBe(reqs + 1);
    });
  }

  test("request line longer than the limit -> 414, never forwarded", async () => {
    const r = await rigFor({ maxHeaderSize: 16384 });
    const bytes = backend.bytes;
    const bad = await exchange(r.port, `GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(bad.responses[0]?.status).toBe(414);
    expect(backend.bytes).toBe(bytes);
    const good = await exchange(r.port, `GET /${"a".repeat(7000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(good.responses[0]?.status).toBe(200);
  });
});
