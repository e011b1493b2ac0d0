// `tcpvs vrrp`: run the config's VRRP instances on the main thread until SIGTERM or SIGINT, then
// resign cleanly (priority 0, VIPs removed, notify_stop run). Serves the control channel too, so
// `tcpvs status` reads the instances' state and can hold one in BACKUP or set its priority.

import { str } from "../core/cli/flags.ts";
import { findConfig, loadConfig } from "../core/config/load.ts";
import type { TcpvsConfig } from "../core/config/types.ts";
import type { ControlServer } from "../core/control/ControlServer.ts";
import { startControl } from "../core/control/startControl.ts";
import { recordVrrpState, steerVrrp } from "../core/daemon/vrrpControl.ts";
import { type Logger, log } from "../core/log/logger.ts";
import { MetricsRegistry } from "../core/metrics/MetricsRegistry.ts";
import { MetricsServer } from "../core/metrics/MetricsServer.ts";
import { Cluster } from "../core/state/cluster.ts";
import { VrrpManager } from "../core/vrrp/manager.ts";
import type { Command } from "./command.ts";
import { useConfigLogging } from "./configLogging.ts";
import { VERSION } from "./version.ts";

export interface VrrpRunOptions {
  log: Logger;
  /** Serve the config's control channel (the command does; bare test runners leave it off). */
  control?: { hash: string };
}

export async function runVrrp(config: TcpvsConfig, ctx: VrrpRunOptions): Promise<number> {
  const names = Object.keys(config.vrrp);
  if (names.length === 0) {
    ctx.log.error(`Add a [vrrp.NAME] section to "${config.file}": it has no VRRP instances`);
    return 2;
  }
  const cluster = new Cluster();
  const startedAt = Date.now();
  let mgr: VrrpManager | undefined;
  let control: ControlServer | undefined;
  // The channel first: if its socket is taken, fail before sending a single advert.
  if (ctx.control) {
    const hash = ctx.control.hash;
    try {
      control = await startControl(config.global, {
        cluster,
        logger: ctx.log,
        describe: () => ({
          version: VERSION,
          startedAt,
          configFile: config.file,
          configHash: hash,
          role: "vrrp",
          listeners: [],
        }),
        actions: {
          vrrp: async (instance, action, priority) => steerVrrp(mgr, config.vrrp, instance, action, priority),
        },
      });
    } catch (e) {
      ctx.log.error(e instanceof Error ? e.message : String(e), { code: (e as { code?: string }).code });
      return 1;
    }
  }
  let metrics: MetricsServer | undefined;
  if (config.global.metrics) {
    try {
      const registry = new MetricsRegistry({ cluster, version: VERSION, startedAt });
      metrics = MetricsServer.start(config.global.metrics, registry, ctx.log);
    } catch (e) {
      ctx.log.error(`Cannot serve metrics on "${config.global.metrics.text}": ${(e as Error).message}`);
      await control?.stop();
      return 1;
    }
  }
  try {
    mgr = new VrrpManager(config.vrrp, {
      log: ctx.log,
      onState: (r) => recordVrrpState(cluster, r),
      onDrop: (_instance, reason) => cluster.count(`vrrp.drop.${reason}`),
    });
    mgr.start();
  } catch (e) {
    ctx.log.error(e instanceof Error ? e.message : String(e), { code: (e as { code?: string }).code });
    await control?.stop();
    await metrics?.stop();
    return 1;
  }
  ctx.log.info("vrrp running", { instances: names, control: control?.address });
  // Left to their default action, SIGHUP and SIGUSR1 would end the process without resigning and
  // leave the VIPs configured here while the peer takes them over: handle both.
  const onHup = () =>
    ctx.log.warn("tcpvs vrrp does not reload: VRRP settings apply at restart (backup node first)");
  const onUsr1 = () => dumpVrrp(ctx.log, cluster, mgr);
  process.on("SIGHUP", onHup);
  process.on("SIGUSR1", onUsr1);
  const signal = await new Promise<string>((resolve) => {
    const on = (s: string) => () => resolve(s);
    process.once("SIGTERM", on("SIGTERM"));
    process.once("SIGINT", on("SIGINT"));
  });
  ctx.log.info("vrrp stopping", { signal, drops: mgr.drops() });
  await mgr.stop();
  await control?.stop();
  await metrics?.stop();
  process.off("SIGHUP", onHup);
  process.off("SIGUSR1", onUsr1);
  return 0;
}

/** SIGUSR1: each instance's state as last reported, and the drop counters, to the log. */
function dumpVrrp(log: Logger, cluster: Cluster, mgr: VrrpManager): void {
  for (const [name, v] of cluster.vrrp) log.info("state vrrp", { instance: name, ...v });
  log.info("state drops", { drops: mgr.drops() });
}

export const command: Command = {
  spec: {
    name: "vrrp",
    summary: "run the config's VRRP instances alone (nodes that only move an address)",
    usage: "tcpvs vrrp [-c FILE]",
    flags: [],
    more: `Needs CAP_NET_RAW and CAP_NET_ADMIN (root). SIGTERM/SIGINT resign cleanly: priority 0 is sent and
the VIPs are removed. The control channel ([global] control) answers "tcpvs status" and the
"status vrrp INSTANCE backup|normal|priority N" actions; [global] metrics serves tcpvs_vrrp_* too.
Exit codes: 0 stopped cleanly, 1 could not start, 2 usage or config error.`,
    example: "tcpvs vrrp -c /etc/tcpvs/tcpvs.toml",
  },
  async run({ flags }) {
    const { config, hash } = loadConfig(findConfig(str(flags, "config")));
    useConfigLogging(flags, config);
    return runVrrp(config, { log: log.child({ subsystem: "vrrp" }), control: { hash } });
  },
};
