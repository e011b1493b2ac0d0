// The one signal loop, for every role: SIGHUP reload, SIGUSR1 state dump, SIGTERM/SIGINT graceful stop
// (a second one hurries it). The handlers go in before start: a SIGTERM sent the moment READY=1 goes
// out, or during start, would otherwise take the default action and end the process without resigning
// VRRP.

import type { Logger } from "../log/logger.ts";
import type { Daemon } from "./daemon.ts";
import { raiseControlPlane } from "../sys/cpu-priority.ts";

export interface RunHooks {
  /** After every service started (the demo prints how to try it). */
  announce?: () => void;
  /** After the daemon stopped, or failed to start (the demo stops its backends). */
  cleanup?: () => void;
}

/** Start, serve until SIGTERM/SIGINT, stop; resolves to the exit code. A failed start rejects. */
export async function runDaemon(daemon: Daemon, log: Logger, hooks: RunHooks = {}): Promise<number> {
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
        log.info("signal received", { signal: "SIGHUP", action: "reload" });
        if (!daemon.isStarted) return log.warn("SIGHUP ignored: tcpvs is still starting");
        daemon.reload().catch((e: unknown) => log.error("reload failed", { error: String(e) }));
      },
    ],
    [
      "SIGUSR1",
      () => {
        log.info("signal received", { signal: "SIGUSR1", action: "state dump" });
        daemon.dump();
      },
    ],
  ];
  for (const [sig, fn] of handlers) process.on(sig, fn);
  // Before any Worker starts: the data path takes its nice value from whether this worked.
  const unraised = raiseControlPlane();
  if (unraised !== undefined)
    log.info("Cannot raise the control plane's CPU priority: the data path runs at nice 5 below it instead", {
      error: unraised,
    });
  try {
    await daemon.start();
  } catch (e) {
    for (const [sig, fn] of handlers) process.off(sig, fn);
    await daemon.stop(0).catch(() => {});
    hooks.cleanup?.();
    throw e;
  }
  hooks.announce?.();
  const signal = await stopSignal;
  log.info("signal received", { signal, action: "stop" });
  await daemon.stop().catch((e: unknown) => log.error("stop failed", { error: String(e) }));
  for (const [sig, fn] of handlers) process.off(sig, fn);
  hooks.cleanup?.();
  return 0;
}
