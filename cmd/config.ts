// tcpvs config check: validate a config and print it normalised, like `haproxy -c` or `nginx -t`.

import { str } from "../core/cli/parse-argv.ts";
import { UsageError } from "../core/cli/usage-error.ts";
import { describeConfig } from "../core/config/describe.ts";
import { ConfigError, findConfig, formatProblem, loadConfig } from "../core/config/load.ts";
import { checkPeers, formatPeerProblem, type PeerProblem } from "../core/config/peer-check.ts";
import { resolveWorkers } from "../core/sys/cpu-count.ts";
import type { Command } from "./command.ts";

export const command: Command = {
  spec: {
    name: "config",
    summary: "validate a config file and print it normalised",
    usage: "tcpvs config check [-c FILE] [--peer OTHER.toml] [--json]",
    options: [
      {
        name: "peer",
        type: "string",
        arg: "FILE",
        description:
          "also check this node's file against its VRRP peer's (router ids, VIPs, priorities, pools)",
      },
    ],
    more:
      "Exit codes: 0 the file is valid, 2 it is not (every problem is listed as FILE:LINE:COLUMN: key: message).\n" +
      "With --peer, disagreements that break the pair are errors (exit 2); the others are warnings (exit 0).",
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
    const { config, hash, text, warnings } = loadConfig(path);
    // What `serve` would start here: "auto" resolved against this process's CPUs.
    const workers = resolveWorkers(config.global.workers);
    for (const w of warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
    const peerFile = str(values, "peer");
    let peer: PeerProblem[] | undefined;
    if (peerFile !== undefined) {
      const other = loadConfig(peerFile);
      peer = checkPeers(
        { file: path, text, config },
        { file: peerFile, text: other.text, config: other.config },
      );
      const errors = peer.filter((p) => p.severity === "error");
      if (errors.length > 0) {
        const noun = errors.length === 1 ? "error" : "errors";
        throw new ConfigError(
          "config_invalid",
          `Cannot use ${path} with its peer ${peerFile}: ${errors.length} ${noun}\n${peer.map(formatPeerProblem).join("\n")}`,
          peer,
        );
      }
      for (const w of peer) process.stderr.write(`${formatPeerProblem(w)}\n`);
    }
    if (values.json) {
      const out = {
        ok: true,
        file: path,
        sha256: hash,
        warnings: warnings.map(formatProblem),
        workers,
        config,
        ...(peer ? { peer: { file: peerFile, warnings: peer } } : {}),
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      process.stdout.write(describeConfig(config, workers));
      process.stdout.write(`${path}: configuration is valid\n`);
      if (peer) process.stdout.write(`${path} and ${peerFile}: the pair agrees (${peer.length} warnings)\n`);
    }
    return 0;
  },
};
