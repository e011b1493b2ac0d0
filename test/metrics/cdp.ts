// A headless Chromium driven over the DevTools protocol, for tests of the status page: start it,
// open a page, evaluate expressions in it, take a screenshot, stop it. Only what the tests use.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export class Browser {
  private ws!: WebSocket;
  private proc!: Subprocess;
  private profile = "";
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private session = "";

  static async launch(): Promise<Browser> {
    const b = new Browser();
    b.profile = mkdtempSync(join(tmpdir(), "tcpvs-chromium-"));
    b.proc = Bun.spawn(
      [
        "chromium",
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--remote-debugging-port=0",
        `--user-data-dir=${b.profile}`,
        "--window-size=1280,900",
        "about:blank",
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    // Chromium names its DevTools endpoint on stderr.
    const reader = (b.proc.stderr as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    let text = "";
    const deadline = Date.now() + 20_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value);
      url = /DevTools listening on (ws:\/\/\S+)/.exec(text)?.[1];
    }
    reader.releaseLock();
    if (!url) {
      b.proc.kill(9);
      throw new Error(`chromium did not start:\n${text}`);
    }
    b.ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      b.ws.onopen = () => resolve();
      b.ws.onerror = () => reject(new Error("Cannot connect to chromium's DevTools"));
    });
    b.ws.onmessage = (m) => {
      const f = JSON.parse(String(m.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const p = f.id !== undefined ? b.pending.get(f.id) : undefined;
      if (!p) return;
      b.pending.delete(f.id!);
      if (f.error) p.reject(new Error(f.error.message));
      else p.resolve(f.result);
    };
    return b;
  }

  send(
    method: string,
    params: Record<string, unknown> = {},
    session = this.session,
  ): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as Record<string, unknown>), reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(session ? { sessionId: session } : {}) }));
    });
  }

  /** Open `url` in a new tab and attach to it. */
  async open(url: string): Promise<void> {
    const { targetId } = await this.send("Target.createTarget", { url }, "");
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true }, "");
    this.session = sessionId as string;
    await this.send("Runtime.enable");
  }

  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true });
    return (r.result as { value: T }).value;
  }

  /** Poll an expression until it returns `want`; returns how long it took. */
  async until(expression: string, want: unknown, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    let last: unknown;
    while (Date.now() - t0 < timeoutMs) {
      last = await this.evaluate(expression).catch(() => undefined);
      if (last === want) return Date.now() - t0;
      await Bun.sleep(100);
    }
    throw new Error(
      `${expression} was ${JSON.stringify(last)}, not ${JSON.stringify(want)}, after ${timeoutMs} ms`,
    );
  }

  async screenshot(): Promise<Buffer> {
    const { data } = await this.send("Page.captureScreenshot", { format: "png" });
    return Buffer.from(data as string, "base64");
  }

  async close(): Promise<void> {
    try {
      await this.send("Browser.close", {}, "").catch(() => {});
    } finally {
      this.ws.close();
      const exited = await Promise.race([this.proc.exited, Bun.sleep(3000).then(() => "timeout")]);
      if (exited === "timeout") this.proc.kill(9);
      rmSync(this.profile, { recursive: true, force: true });
    }
  }
}
