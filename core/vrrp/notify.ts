// Notify scripts run one after another (a MASTER script must not race the BACKUP script that follows
// it) without ever blocking the VRRP timers: the queue is a promise chain.

import type { Logger } from "../log/logger.ts";

const NOTIFY_TIMEOUT_MS = 30_000;

function shellQuote(s: string): string {
  return /^[\w./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

export class NotifyQueue {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly log: Logger) {}

  /** Queue `script` (a command line) with extra arguments appended, keepalived style. */
  run(script: string, args: string[] = []): void {
    const cmd = [script, ...args.map(shellQuote)].join(" ");
    this.pending++;
    this.chain = this.chain.then(() => this.exec(cmd)).finally(() => this.pending--);
  }

  /** Resolves when every queued script has finished (for clean shutdown and tests). */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.chain;
  }

  private async exec(cmd: string): Promise<void> {
    try {
      const p = Bun.spawn(["/bin/sh", "-c", cmd], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
      const timer = setTimeout(() => p.kill(9), NOTIFY_TIMEOUT_MS);
      const code = await p.exited;
      clearTimeout(timer);
      if (code !== 0) {
        const err = (await new Response(p.stderr).text()).trim().slice(0, 200);
        this.log.warn("notify script failed", { cmd, code, stderr: err });
      }
    } catch (e) {
      this.log.warn("notify script could not start", {
        cmd,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
}
