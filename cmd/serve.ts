// tcpvs serve: the director. Loads the config (or the embedded demo) and runs the serve role until a
// signal: SIGHUP reload, SIGTERM/SIGINT graceful stop, SIGUSR1 state dump.

import { str } from "../core/cli/parse-argv.ts";
import { UsageError } from "../core/cli/usage-error.ts";
import { findConfig, formatProblem, loadConfig } from "../core/config/load.ts";
import { runDaemon } from "../core/daemon/run-daemon.ts";
import { serveDemo } from "../core/daemon/serve-demo.ts";
import { serveDaemon } from "../core/daemon/serve-role.ts";
import { log } from "../core/log/logger.ts";
import { sdNotify } from "../core/sys/sdnotify.ts";
import type { Command } from "./command.ts";
import { useConfigLogging } from "./config-logging.ts";
import { VERSION } from "./version.ts";

export const command: Command = {
  spec: {
    name: "serve",
    summary: "run the director: listeners, L7 switch, health checks, VRRP, control channel",
    usage: "tcpvs serve [-c FILE] [--demo]",
    options: [
      {
        name: "demo",
        type: "boolean",
        description: "no file, no root: two built-in backends behind 127.0.0.1:8080",
      },
      {
        name: "port",
        type: "string",
        arg: "PORT",
        description: "with --demo: the listener's port (default 8080)",
        example: "18080",
      },
    ],
    more: `Signals: SIGHUP reloads the config (a bad file is refused and the old one keeps serving),
SIGTERM/SIGINT stop gracefully within [global] grace (a second one cuts the requests still in
flight), SIGUSR1 writes the state to the log.
Exit codes: 0 stopped cleanly, 1 could not start, 2 usage or config error.`,
    example: "tcpvs serve -c /etc/tcpvs/tcpvs.toml",
  },
  async run({ values }) {
    if (values.demo) {
      const { daemon, hooks } = serveDemo(str(values, "port") ?? "8080", log, VERSION);
      return runDaemon(daemon, log, hooks);
    }
    if (str(values, "port") !== undefined)
      throw new UsageError(
        "bad_arguments",
        "--port applies only with --demo; set the listen address in the config",
      );
    const file = findConfig(str(values, "config"));
    const { config, hash, warnings } = loadConfig(file);
    useConfigLogging(values, config);
    for (const w of warnings) log.warn(formatProblem(w));
    return runDaemon(serveDaemon({ file, config, hash, log, version: VERSION, notify: sdNotify }), log);
  },
};
