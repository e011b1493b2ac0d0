// track_script: run a command every `interval`, judge it by exit code (0 = pass) within `timeout`, and
// report flips after rise/fall consecutive results. Runs never overlap; a run past its timeout is killed
// with its whole process group (core/exec/run-command.ts).

import type { VrrpTrackScript } from "../config/types.ts";
import { runCommand, shellArgv } from "../exec/run-command.ts";
import type { Logger } from "../log/logger.ts";
import { RiseFall } from "./track.ts";

export class ScriptTracker {
  private readonly rf: RiseFall;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly s: VrrpTrackScript,
    private readonly onChange: (ok: boolean) => void,
    private readonly log: Logger,
  ) {
    this.rf = new RiseFall(s.rise, s.fall, true);
  }

  start(): void {
    this.stopped = false;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    const pass = await this.runOnce();
    if (this.stopped) return;
    if (this.rf.feed(pass)) this.onChange(this.rf.ok);
    this.timer = setTimeout(() => void this.loop(), Math.max(10, this.s.interval));
  }

  private async runOnce(): Promise<boolean> {
    try {
      const r = await runCommand(shellArgv(this.s.script), { timeoutMs: Math.max(10, this.s.timeout) });
      return r.code === 0;
    } catch (e) {
      this.log.warn("track script could not start", {
        script: this.s.name,
        error: e instanceof Error ? e.message : String(e),
      });
      return false;
    }
  }
}
