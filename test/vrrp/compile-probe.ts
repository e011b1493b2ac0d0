// Entry for the compile test: start the VRRP worker inside a `bun build --compile` binary with an
// interface that does not exist. The worker's own error proves the worker module was found and ran.
// No top-level await: the release build uses --bytecode, which needs CommonJS output.

import { Logger } from "../../core/log/logger.ts";
import { VrrpHost } from "../../core/vrrp/host.ts";
import { tcpvsConfig, vrrpDefaults } from "./config.ts";

async function main(): Promise<void> {
  const log = new Logger({ level: "error", format: "json", journald: false, sink: { write: () => {} } });
  const cfg = tcpvsConfig([
    vrrpDefaults({
      name: "VI",
      interface: "nosuchif0",
      virtual_ipaddress: [{ address: "10.9.9.9", prefix: 24 }],
    }),
  ]);
  try {
    const h = await VrrpHost.start(cfg.vrrp, { log, timeoutMs: 5000 });
    await h.stop();
    console.log("unexpected: started");
  } catch (e) {
    console.log(`worker said: ${e instanceof Error ? e.message : String(e)}`);
  }
  process.exit(0);
}

void main();
