// tcpvs config check: validate a config and print it normalised, like `haproxy -c` or `nginx -t`.

import { str } from "../core/cli/parse-argv.ts";
import { UsageError } from "../core/cli/usage-error.ts";
import { describeConfig } from "../core/config/describe.ts";
import { findConfig, loadConfig } from "../core/config/load.ts";
import { resolveWorkers } from "../core/sys/cpu-count.ts";
import type { Command } from "./command.ts";

export const command: Command = {
  spec: {
    name: "config",
    summary: "validate a config file and print it normalised",
    usage: "tcpvs config check [-c FILE] [--json]",
    options: [],
    more: "Exit codes: 0 the file is valid, 2 it is not (every problem is listed as FILE:LINE:COLUMN: key: message).",
    example: "tcpvs config check -c /etc/tcpvs/tcpvs.toml",
  },
  async run({ values, positionals }) {
    const [action = "check", file] = positionals;
    if (action !== "check")
      throw new UsageError(
        "unknown_command",
        `unknown action "config ${action}"; did you mean "config check"?`,
      );
    const path = findConfig(file ?? str(values, "config"));
    const { config, hash } = loadConfig(path);
    // What `serve` would start here: "auto" resolved against this process's CPUs.
    const workers = resolveWorkers(config.global.workers);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ ok: true, file: path, sha256: hash, workers, config }, null, 2)}\n`,
      );
    } else {
      process.stdout.write(describeConfig(config, workers));
      process.stdout.write(`${path}: configuration is valid\n`);
    }
    return 0;
  },
};
