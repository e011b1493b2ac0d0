// `tcpvs vrrp`: run the config's VRRP instances on the main thread until SIGTERM or SIGINT, then
// resign cleanly (priority 0, VIPs removed, notify_stop run).

import type { TcpvsConfig } from "../core/config/types.ts";
import type { Logger } from "../core/log/logger.ts";
import { VrrpManager } from "../core/vrrp/manager.ts";
import { str } from "../core/cli/flags.ts";
import { findConfig, loadConfig } from "../core/config/load.ts";
import { log } from "../core/log/logger.ts";
import type { Command } from "./command.ts";
import { useConfigLogging } from "./configLogging.ts";

export async function runVrrp(config: TcpvsConfig, ctx: { log: Logger }): Promise<number> {
  const names = Object.keys(config.vrrp);
  if (names.length === 0) {
    ctx.log.error(`Add a [vrrp.NAME] section to "${config.file}": it has no VRRP instances`);
    return 2;
  }
  let mgr: VrrpManager;
  try {
    mgr = new VrrpManager(config.vrrp, { log: ctx.log });
    mgr.start();
  } catch (e) {
    ctx.log.error(e instanceof Error ? e.message : String(e), { code: (e as { code?: string }).code });
    return 1;
  }
  ctx.log.info("vrrp running", { instances: names });
  const signal = await new Promise<string>((resolve) => {
    const on = (s: string) => () => resolve(s);
    process.once("SIGTERM", on("SIGTERM"));
    process.once("SIGINT", on("SIGINT"));
  });
  ctx.log.info("vrrp stopping", { signal, drops: mgr.drops() });
  await mgr.stop();
  return 0;
}

export const command: Command = {
  spec: {
    name: "vrrp",
    summary: "run the config's VRRP instances alone (nodes that only move an address)",
    usage: "tcpvs vrrp [-c FILE]",
    flags: [],
    more: `Needs CAP_NET_RAW and CAP_NET_ADMIN (root). SIGTERM/SIGINT resign cleanly: priority 0 is sent and
the VIPs are removed. Exit codes: 0 stopped cleanly, 1 could not start, 2 usage or config error.`,
    example: "tcpvs vrrp -c /etc/tcpvs/tcpvs.toml",
  },
  async run({ flags }) {
    const { config } = loadConfig(findConfig(str(flags, "config")));
    useConfigLogging(flags, config);
    return runVrrp(config, { log: log.child({ subsystem: "vrrp" }) });
  },
};
