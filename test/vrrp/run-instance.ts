// Test runner: `bun test/vrrp/run-instance.ts CONFIG.json` runs cmd/vrrp.ts with a TcpvsConfig read
// from JSON and logs JSON lines to stdout.

import { runVrrp } from "../../cmd/vrrp.ts";
import type { TcpvsConfig } from "../../core/config/types.ts";
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
  process.exit(await runVrrp(cfg, { log }));
}
