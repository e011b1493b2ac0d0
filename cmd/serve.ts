// tcpvs serve: the director. Loads the config (or the embedded demo), starts the daemon, and maps
// signals: SIGHUP reload, SIGTERM/SIGINT graceful stop, SIGUSR1 state dump.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { str, UsageError } from "../core/cli/flags.ts";
import { findConfig, loadConfig, parseConfig } from "../core/config/load.ts";
import { Daemon } from "../core/daemon/Daemon.ts";
import { demoConfigText } from "../core/daemon/demo.ts";
import { log } from "../core/log/logger.ts";
import { startDemoBackends } from "../core/switch/demo.ts";
import { sdNotify } from "../core/sys/sdnotify.ts";
import type { Command } from "./command.ts";
import { useConfigLogging } from "./configLogging.ts";
import { VERSION } from "./version.ts";

export const command: Command = {
  spec: {
    name: "serve",
    summary: "run the director: listeners, L7 switch, health checks, VRRP, control channel",
    usage: "tcpvs serve [-c FILE] [--demo]",
    flags: [
      { name: "demo", type: "bool", desc: "no file, no root: two built-in backends behind 127.0.0.1:8080" },
      { name: "port", type: "string", arg: "PORT", desc: "with --demo: the listener's port (default 8080)" },
    ],
    more: `Signals: SIGHUP reloads the config (a bad file is refused and the old one keeps serving),
SIGTERM/SIGINT stop gracefully within [global] grace (a second one cuts the requests still in
flight), SIGUSR1 writes the state to the log.
Exit codes: 0 stopped cleanly, 1 could not start, 2 usage or config error.`,
    example: "tcpvs serve -c /etc/tcpvs/tcpvs.toml",
  },
  async run({ flags }) {
    let cleanup = () => {};
    let announce = () => {};
    let daemon: Daemon;
    if (flags.demo) {
      const portText = str(flags, "port") ?? "8080";
      const port = Number(portText);
      if (!/^\d+$/.test(portText) || port < 1 || port > 65535)
        throw new UsageError(`invalid --port "${portText}": give a port from 1 to 65535`);
      const backends = startDemoBackends(2);
      const dir = mkdtempSync(join(tmpdir(), "tcpvs-demo-"));
      const text = demoConfigText(backends.addresses, port, join(dir, "control.sock"));
      const config = parseConfig(text, "<demo>");
      daemon = new Daemon({
        file: "<demo>",
        config,
        hash: "demo",
        log,
        version: VERSION,
        reloadSource: () => ({ config, hash: "demo" }),
      });
      cleanup = () => {
        backends.stop();
        rmSync(dir, { recursive: true, force: true });
      };
      announce = () =>
        process.stdout.write(
          `tcpvs demo: virtual server on http://127.0.0.1:${port}/ balancing ${backends.addresses.join(" and ")}\n` +
            `  try:    curl -s http://127.0.0.1:${port}/   (run it twice: the backends take turns)\n` +
            `  status: ${selfCommand()} status --control unix:${join(dir, "control.sock")}\n` +
            "  stop:   Ctrl-C\n",
        );
    } else {
      if (str(flags, "port") !== undefined)
        throw new UsageError("--port applies only with --demo; set the listen address in the config");
      const file = findConfig(str(flags, "config"));
      const { config, hash } = loadConfig(file);
      useConfigLogging(flags, config);
      daemon = new Daemon({ file, config, hash, log, version: VERSION, notify: sdNotify });
    }
    return runUntilSignal(daemon, cleanup, announce);
  },
};

/** How to run this same program again: the binary itself, or Bun on the source. */
function selfCommand(): string {
  return Bun.main.startsWith("/$bunfs/") ? process.execPath : `npx bun ${Bun.main}`;
}

/**
 * Start the daemon and map signals: SIGHUP reload, SIGUSR1 dump, SIGTERM/SIGINT graceful stop (a second
 * one hurries it). The handlers go in before start: a SIGTERM sent the moment READY=1 goes out, or during
 * start, would otherwise take the default action and end the process without resigning VRRP.
 */
async function runUntilSignal(daemon: Daemon, cleanup: () => void, announce: () => void): Promise<number> {
  let started = false;
  let stopping = false;
  let requestStop: (signal: string) => void = () => {};
  const stopSignal = new Promise<string>((resolve) => {
    requestStop = resolve;
  });
  const onStop = (signal: string) => () => {
    if (stopping) {
      // The second Ctrl-C: the operator will not wait out the grace period.
      daemon.hurry();
      return;
    }
    stopping = true;
    requestStop(signal);
  };
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ["SIGTERM", onStop("SIGTERM")],
    ["SIGINT", onStop("SIGINT")],
    [
      "SIGHUP",
      () => {
        if (!started) return log.warn("SIGHUP ignored: tcpvs is still starting");
        daemon.reload().catch((e: unknown) => log.error("reload failed", { error: String(e) }));
      },
    ],
    ["SIGUSR1", () => daemon.dump()],
  ];
  for (const [sig, fn] of handlers) process.on(sig, fn);
  try {
    await daemon.start();
  } catch (e) {
    for (const [sig, fn] of handlers) process.off(sig, fn);
    await daemon.stop(0).catch(() => {});
    cleanup();
    throw e;
  }
  started = true;
  announce();
  const signal = await stopSignal;
  log.info("signal received", { signal });
  await daemon.stop().catch((e: unknown) => log.error("stop failed", { error: String(e) }));
  cleanup();
  return 0;
}
