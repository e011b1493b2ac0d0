// `tcpvs serve --demo`: two built-in backends behind 127.0.0.1:PORT, a control socket in a temp dir,
// and the lines that tell a new user what to try. No file, no root.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../cli/usage-error.ts";
import { parseConfig } from "../config/load.ts";
import type { Logger } from "../log/logger.ts";
import { startDemoBackends } from "../switch/demo.ts";
import type { Daemon } from "./daemon.ts";
import { demoConfigText, selfCommand } from "./demo.ts";
import type { RunHooks } from "./run-daemon.ts";
import { serveDaemon } from "./serve-role.ts";

/** The demo daemon and the hooks that announce it and clean up after it. */
export function serveDemo(
  portText: string,
  log: Logger,
  version: string,
): { daemon: Daemon; hooks: RunHooks } {
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535)
    throw new UsageError("invalid_value", `invalid --port "${portText}": give a port from 1 to 65535`);
  const backends = startDemoBackends(2);
  const dir = mkdtempSync(join(tmpdir(), "tcpvs-demo-"));
  const socket = join(dir, "control.sock");
  const config = parseConfig(demoConfigText(backends.addresses, port, socket), "<demo>");
  const daemon = serveDaemon({
    file: "<demo>",
    config,
    hash: "demo",
    log,
    version,
    reloadSource: () => ({ config, hash: "demo" }),
  });
  return {
    daemon,
    hooks: {
      cleanup: () => {
        backends.stop();
        rmSync(dir, { recursive: true, force: true });
      },
      announce: () =>
        process.stdout.write(
          `tcpvs demo: virtual server on http://127.0.0.1:${port}/ balancing ${backends.addresses.join(" and ")}\n` +
            `  try:    curl -s http://127.0.0.1:${port}/   (run it twice: the backends take turns)\n` +
            `  status: ${selfCommand()} status --control unix:${socket}\n` +
            "  stop:   Ctrl-C\n",
        ),
    },
  };
}
