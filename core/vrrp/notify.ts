// Notify scripts run one after another (a MASTER script must not race the BACKUP script that follows
// it) without ever blocking the VRRP timers: the queue is a promise chain. A script past its timeout is
// killed with its whole process group (core/exec/run-command.ts), so the queue moves on.

import { runCommand, shellArgv } from "../exec/run-command.ts";
import type { Logger } from "../log/logger.ts";

const NOTIFY_TIMEOUT_MS = 30_000;

export class NotifyQueue {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs = NOTIFY_TIMEOUT_MS,
  ) {}

  /** Queue `script` (a command line) with extra arguments appended, keepalived style. */
  run(script: string, args: string[] = []): void {
    const argv = shellArgv(script, args, "tcpvs-notify");
    this.pending++;
    this.chain = this.chain.then(() => this.exec(script, argv)).finally(() => this.pending--);
  }

  /** Resolves when every queued script has finished (for clean shutdown and tests). */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.chain;
  }

  private async exec(script: string, argv: string[]): Promise<void> {
    const cmd = argv.length > 3 ? `${script} ${argv.slice(4).join(" ")}` : script;
    try {
      const r = await runCommand(argv, { timeoutMs: this.timeoutMs, captureStderr: true });
      if (r.timedOut) this.log.warn("notify script timed out", { cmd, timeout_ms: this.timeoutMs });
      else if (r.code !== 0) {
        this.log.warn("notify script failed", {
          cmd,
          code: r.code ?? r.signal,
          stderr: r.stderr.trim().slice(0, 200),
        });
      }
    } catch (e) {
      this.log.warn("notify script could not start", {
        cmd,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
}
