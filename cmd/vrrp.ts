// `tcpvs vrrp`: the vrrp role (core/daemon/vrrp-role.ts) run until SIGTERM or SIGINT, then a clean
// resign (priority 0, VIPs removed, notify_stop run).

import { str } from "../core/cli/parse-argv.ts";
import { findConfig, loadConfig } from "../core/config/load.ts";
import { runDaemon } from "../core/daemon/run-daemon.ts";
import { vrrpDaemon } from "../core/daemon/vrrp-role.ts";
import { log } from "../core/log/logger.ts";
import { sdNotify } from "../core/sys/sdnotify.ts";
import type { Command } from "./command.ts";
import { useConfigLogging } from "./config-logging.ts";
import { VERSION } from "./version.ts";

export const command: Command = {
  spec: {
    name: "vrrp",
    summary: "run the config's VRRP instances alone (nodes that only move an address)",
    usage: "tcpvs vrrp [-c FILE]",
    options: [],
    more: `Needs CAP_NET_RAW and CAP_NET_ADMIN (root). SIGTERM/SIGINT resign cleanly: priority 0 is sent and
the VIPs are removed. The control channel ([global] control) answers "tcpvs status" and the
"status vrrp INSTANCE backup|normal|priority N" actions; [global] metrics serves tcpvs_vrrp_* too.
Exit codes: 0 stopped cleanly, 1 could not start, 2 usage or config error.`,
    example: "tcpvs vrrp -c /etc/tcpvs/tcpvs.toml",
  },
  async run({ values }) {
    const file = findConfig(str(values, "config"));
    const { config, hash } = loadConfig(file);
    useConfigLogging(values, config);
    const vlog = log.child({ subsystem: "vrrp" });
    const daemon = vrrpDaemon({
      file,
      config,
      hash,
      log: vlog,
      version: VERSION,
      control: true,
      notify: sdNotify,
    });
    return runDaemon(daemon, vlog);
  },
};
