// The status page on the metrics listener, against a real daemon: GET / is one self-contained page,
// /status.json follows the JSON contract, /events streams, anything but GET is refused; and in a real
// headless Chromium the page shows the servers and sees one go down, live, with a screenshot kept in
// test-results/ as the artifact.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SchemaSet } from "../json-schema.ts";
import { missingTools } from "../tools.ts";
import {
  type Backend,
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  type Proc,
  runTcpvs,
  startServe,
  tempDir,
  writeConfig,
} from "../daemon/harness.ts";
import { Browser } from "./cdp.ts";

const ROOT = join(import.meta.dir, "..", "..");
const schemas = new SchemaSet(join(ROOT, "docs", "schema"));

let p: Proc | undefined;
let backends: Backend[] = [];
let tmp: ReturnType<typeof tempDir>;
let base = "";
let control = "";

beforeAll(async () => {
  tmp = tempDir();
  backends = [backend("b1"), backend("b2")];
  const metricsPort = freePort();
  base = `http://127.0.0.1:${metricsPort}`;
  control = `unix:${tmp.dir}/control.sock`;
  p = await startServe(
    writeConfig(
      tmp.dir,
      configText({ port: freePort(), control, backends, metricsPort, checkInterval: "300ms" }),
    ),
  );
});

afterAll(async () => {
  if (p) {
    p.proc.kill("SIGTERM");
    await exitWithin(p, 8000);
  }
  killIfRunning(p);
  for (const b of backends) b.stop();
  tmp.cleanup();
});

describe("the routes", () => {
  test("GET / is one page with no asset from elsewhere; /status.json is the snapshot; the rest is read-only", async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|url\(|https?:\/\//);
    const snap = await (await fetch(`${base}/status.json`)).json();
    expect(schemas.validate("status.schema.json", snap)).toEqual([]);
    expect((await fetch(`${base}/`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${base}/status.json`, { method: "DELETE" })).status).toBe(405);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  test("/events streams the control channel's events", async () => {
    const ac = new AbortController();
    const r = await fetch(`${base}/events`, { signal: ac.signal });
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    const reader = r.body!.getReader();
    await reader.read(); // the opening comment
    expect((await runTcpvs(["status", "drain", "app", "b1", "--control", control])).code).toBe(0);
    let text = "";
    const dec = new TextDecoder();
    while (!text.includes('"type":"server"')) text += dec.decode((await reader.read()).value);
    const events = text
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => JSON.parse(l.slice(6)));
    for (const e of events) expect(schemas.validate("event.schema.json", e)).toEqual([]);
    ac.abort();
    expect((await runTcpvs(["status", "enable", "app", "b1", "--control", control])).code).toBe(0);
  });
});

const skip = missingTools("the status page browser test", "chromium");
test.skipIf(skip !== undefined)(
  "in headless Chromium the page shows the servers, then sees one go down, live; a screenshot is kept",
  async () => {
    const browser = await Browser.launch();
    try {
      await browser.open(`${base}/`);
      const row = (s: string) => `document.querySelector('[data-server="app/${s}"]')?.dataset.state`;
      await browser.until(row("b1"), "up", 10_000);
      await browser.until(row("b2"), "up", 10_000);
      expect(await browser.evaluate<string>("document.getElementById('conn').textContent")).toStartWith(
        "live",
      );
      backends[1]!.stop();
      const took = await browser.until(row("b2"), "down", 10_000);
      console.log(`the page showed app/b2 down ${took} ms after its backend stopped`);
      // The event pane names it too (from /events).
      await browser.until(
        "document.getElementById('events').textContent.includes('app/b2 down')",
        true,
        5000,
      );
      const png = await browser.screenshot();
      expect(png.subarray(1, 4).toString()).toBe("PNG");
      const dir = join(ROOT, "test-results");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "status-page.png"), png);
    } finally {
      await browser.close();
    }
  },
  40_000,
);
