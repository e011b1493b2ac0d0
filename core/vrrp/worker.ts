// The VRRP Worker: hosts the instances on their own thread so a busy data path on the main thread can
// never delay an advert. Speaks the messages in host.ts. Must be an extra entrypoint of
// `bun build --compile` (see host.ts).

import { codeOf } from "../errors/tcpvs-error.ts";
import type { VrrpConfig } from "../config/types.ts";
import { Logger, type LogLevel } from "../log/logger.ts";
import type { HostToWorker, WorkerToHost } from "./host.ts";
import { VrrpManager } from "./manager.ts";
import { setScriptUser } from "../exec/script-user.ts";
import { trySetThreadNice, VRRP_NICE } from "../sys/cpu-priority.ts";

declare const self: Worker;

let mgr: VrrpManager | undefined;

function post(m: WorkerToHost): void {
  self.postMessage(m);
}

function start(
  vrrp: Record<string, VrrpConfig>,
  level: LogLevel,
  scriptUser: string | undefined,
  graceMs: number | undefined,
): void {
  // Lines go to the host as JSON; it re-emits them through the process logger.
  const log = new Logger({
    level,
    format: "json",
    journald: false,
    sink: { write: (line) => post({ type: "log", line }) },
  });
  // Adverts first when the CPUs are contended (cpu-priority.ts); without CAP_SYS_NICE the data path
  // yields instead.
  const unraised = trySetThreadNice(VRRP_NICE);
  if (unraised !== undefined) log.debug("Cannot raise the VRRP thread's CPU priority", { error: unraised });
  try {
    // A Worker has its own module state: the main thread's setting does not reach it.
    setScriptUser(scriptUser);
    mgr = new VrrpManager(vrrp, {
      log,
      onState: (report) => post({ type: "state", report }),
      onDrop: (instance, reason) => post({ type: "drop", instance, reason }),
      graceMs,
    });
    mgr.start();
    post({ type: "started" });
  } catch (e) {
    mgr = undefined;
    post({
      type: "error",
      message: e instanceof Error ? e.message : String(e),
      code: codeOf(e),
    });
  }
}

self.onmessage = async (ev: MessageEvent<HostToWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case "start":
      start(m.vrrp, m.level, m.scriptUser, m.graceMs);
      return;
    case "pool_quorum":
      mgr?.setPoolQuorum(m.pool, m.ok);
      return;
    case "hold":
      mgr?.hold(m.instance, m.on);
      return;
    case "adjust_priority":
      mgr?.adjustPriority(m.instance, m.delta);
      return;
    case "reload":
      try {
        setScriptUser(m.scriptUser);
        if (m.graceMs !== undefined) mgr?.setGrace(m.graceMs);
        await mgr?.reload(m.vrrp);
        post({ type: "reloaded" });
      } catch (e) {
        post({ type: "error", message: e instanceof Error ? e.message : String(e), code: codeOf(e) });
      }
      return;
    case "stop": {
      const drops = mgr?.drops() ?? {};
      await mgr?.stop({ drain: m.drain });
      if (!m.drain) mgr = undefined;
      post({ type: "stopped", drops });
      return;
    }
    case "release":
      mgr?.release();
      mgr = undefined;
      post({ type: "released" });
      return;
  }
};
