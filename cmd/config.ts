// tcpvs config check: validate a config and print it normalised, like `haproxy -c` or `nginx -t`.

import { jsonFailure } from "../core/cli/json-errors.ts";
import { str } from "../core/cli/parse-argv.ts";
import { UsageError } from "../core/cli/usage-error.ts";
import { describeConfig } from "../core/config/describe.ts";
import { ConfigError, findConfig, loadConfig } from "../core/config/load.ts";
import type { Command } from "./command.ts";

export const command: Command = {
  spec: {
    name: "config",
    summary: "validate a config file and print it normalised",
    usage: "tcpvs config check [-c FILE] [--json] [--quiet]",
    words: ["check"],
    options: [
      {
        name: "quiet",
        short: "q",
        type: "boolean",
        description: "print nothing when the file is valid, only the problems when it is not",
      },
    ],
    more: `Exit codes: 0 the file is valid, 2 it is not (every problem is listed as FILE:LINE:COLUMN: key: message).
With --json the answer is {"ok": true, "file", "sha256", "config"} or {"ok": false, "errors":
[{"code", "message", "file", "line", "column", "key"}]} on stdout, exit 0 or 2 (docs/json.md).`,
    example: "tcpvs config check -c /etc/tcpvs/tcpvs.toml",
  },
  async run({ values, positionals }) {
    const [action = "check", file] = positionals;
    if (action !== "check")
      throw new UsageError(
        "unknown_command",
        `unknown action "config ${action}"; did you mean "config check"?`,
      );
    const path = file ?? str(values, "config");
    let loaded: ReturnType<typeof loadConfig>;
    let found: string | null = path ?? null;
    try {
      found = findConfig(path);
      loaded = loadConfig(found);
    } catch (e) {
      if (!(values.json && e instanceof ConfigError)) throw e;
      process.stdout.write(`${JSON.stringify(jsonFailure(e, found), null, 2)}\n`);
      return 2;
    }
    const { config, hash } = loaded;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ok: true, file: found, sha256: hash, config }, null, 2)}\n`);
    } else if (!values.quiet) {
      process.stdout.write(describeConfig(config));
      process.stdout.write(`${found}: configuration is valid\n`);
    }
    return 0;
  },
};
