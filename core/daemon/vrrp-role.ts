// The `vrrp` role: the config's VRRP instances alone, on the main thread, for nodes that only move an
// address. The control channel first (if its socket is taken, fail before a single advert), then
// metrics, then the instances. SIGHUP changes the instances in place, as in `serve`.

import { ConfigError } from "../config/load.ts";
import type { DaemonDescription } from "../control/snapshot.ts";
import { MetricsRegistry } from "../metrics/metrics-registry.ts";
import { pageSource } from "./page-source.ts";
import { Cluster } from "../state/cluster.ts";
import { ControlService } from "./control-service.ts";
import { Daemon, type DaemonOptions } from "./daemon.ts";
import { MetricsService } from "./metrics-service.ts";
import type { Service } from "./service.ts";
import { VrrpService } from "./vrrp-service.ts";

export interface VrrpRoleOptions extends Omit<DaemonOptions, "role" | "cluster"> {
  version: string;
  /** Serve the config's control channel (the command does; bare test runners leave it off). */
  control?: boolean;
}

export function vrrpDaemon(o: VrrpRoleOptions): Daemon {
  const names = Object.keys(o.config.vrrp);
  if (names.length === 0)
    throw new ConfigError(
      "config_invalid",
      `Add a [vrrp.NAME] section to "${o.config.file}": it has no VRRP instances`,
    );
  const cluster = new Cluster();
  const d = new Daemon({ ...o, role: "vrrp", cluster });
  const vrrp = new VrrpService(o.config.vrrp, cluster, o.log, o.config.global.grace);
  const services: Service[] = [];
  let control: ControlService | undefined;
  if (o.control) {
    control = new ControlService(o.config.global, {
      cluster,
      logger: o.log,
      describe: () => describe(),
      actions: { vrrp: (instance, action, priority) => vrrp.action(instance, action, priority) },
    });
    services.push(control);
  }
  const metrics = new MetricsRegistry({ cluster, version: o.version, startedAt: d.startedAt });
  const describe = (): DaemonDescription => ({
    version: o.version,
    startedAt: d.startedAt,
    configFile: o.config.file,
    configHash: d.hash,
    role: "vrrp",
    listeners: [],
    vrrp: d.config.vrrp,
    pendingRestart: d.pendingRestart,
  });
  services.push(
    new MetricsService(o.config.global.metrics, metrics, o.log, pageSource(cluster, describe)),
    vrrp,
  );
  return d.use({
    services,
    ready: () => ["vrrp running", { instances: names, control: control?.address }],
  });
}
