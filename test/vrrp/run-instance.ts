// Test runner: `bun test/vrrp/run-instance.ts CONFIG.json` runs the vrrp role (what `tcpvs vrrp` runs,
// without the control channel) with a TcpvsConfig read from JSON and logs JSON lines to stdout.

import type { TcpvsConfig } from "../../core/config/types.ts";
import { runDaemon } from "../../core/daemon/run-daemon.ts";
import { vrrpDaemon } from "../../core/daemon/vrrp-role.ts";
import { Logger } from "../../core/log/logger.ts";

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: run-instance.ts CONFIG.json");
    process.exit(2);
  }
  const cfg = (await Bun.file(file).json()) as TcpvsConfig;
  const log = new Logger({
    level: cfg.global.log_level,
    format: "json",
    journald: false,
    sink: { write: (l) => process.stdout.write(l) },
  });
  const daemon = vrrpDaemon({ file, config: cfg, hash: "test", log, version: "test" });
  const code = await runDaemon(daemon, log).catch((e: unknown) => {
    log.error(e instanceof Error ? e.message : String(e));
    return 1;
  });
  process.exit(code);
}
