// Test runner for the Worker-hosted VRRP (what `tcpvs serve` uses): `bun run-host.ts CONFIG.json`.
// Commands on stdin, one per line: `quorum POOL 0|1`, `hold INSTANCE 0|1`, `priority INSTANCE DELTA`,
// `busy MS` (block the main thread, as a saturated data path would), `stop`.

import type { TcpvsConfig } from "../../core/config/types.ts";
import { Logger } from "../../core/log/logger.ts";
import { VrrpHost } from "../../core/vrrp/host.ts";

const cfg = (await Bun.file(process.argv[2]!).json()) as TcpvsConfig;
const log = new Logger({
  level: "info",
  format: "json",
  journald: false,
  sink: { write: (l) => process.stdout.write(l) },
});
const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

const host = await VrrpHost.start(cfg.vrrp, {
  log,
  onState: (r) => out({ event: "state", ...r }),
  onDrop: (instance, reason) => out({ event: "drop", instance, reason }),
});
out({ event: "ready" });

async function stop(): Promise<never> {
  const drops = await host.stop();
  out({ event: "stopped", drops });
  process.exit(0);
}
process.once("SIGTERM", () => void stop());

for await (const chunk of Bun.stdin.stream()) {
  for (const line of new TextDecoder().decode(chunk).split("\n")) {
    const [cmd, a, b] = line.trim().split(/\s+/);
    if (cmd === "quorum") host.setPoolQuorum(a!, b === "1");
    else if (cmd === "hold") host.hold(a!, b === "1");
    else if (cmd === "priority") host.adjustPriority(a!, Number(b));
    else if (cmd === "busy") {
      const end = performance.now() + Number(a);
      while (performance.now() < end) {
        // Spin: the main thread is unavailable, like a data path under load.
      }
      out({ event: "busy_done" });
    } else if (cmd === "stop") await stop();
  }
}
