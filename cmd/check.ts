// `tcpvs check`: its flags, which are the check schema's keys (core/cli/check-flags.ts), mapped to the
// words parseCheckArgs reads; the report and the Nagios aggregation are core/cli/check-report.ts's;
// `check vrrp NAME` asks a running daemon (core/cli/vrrp-check.ts).

import { checkFlagExample } from "../core/cli/check-flag-docs.ts";
import { unknownJson } from "../core/cli/nagios-output.ts";
import { runVrrpCheck } from "../core/cli/vrrp-check.ts";
import { CHECK_FLAGS, VALUE_FLAGS } from "../core/cli/check-flags.ts";
import { CHECK_TYPES_HELP, runCheck } from "../core/cli/check-report.ts";
import { list, type OptionSpec, str } from "../core/cli/parse-argv.ts";
import { ConfigError, findConfig, loadConfig } from "../core/config/load.ts";
import type { TcpvsConfig } from "../core/config/types.ts";
import { statusTarget } from "../core/cli/run-status.ts";
import type { Command } from "./command.ts";

// Every spelling of a key is accepted; --help shows the first.
const OPTIONS: OptionSpec[] = CHECK_FLAGS.flatMap((f) =>
  f.names.map((name, i) => {
    const example = f.type === "string" ? checkFlagExample(f.key) : undefined;
    return {
      name,
      type: f.type,
      multiple: f.multiple,
      arg: f.arg,
      description: `${f.doc}${f.for ? ` (${f.for.join(", ")})` : ""}`,
      ...(example ? { example } : {}),
      hidden: i > 0,
    };
  }),
);
const VALUE = [...VALUE_FLAGS].filter((f) => f !== "send" && f !== "expect");

export const command: Command = {
  spec: {
    name: "check",
    summary: "run health checks once (Nagios exit codes), from flags or the config",
    usage: `tcpvs check TYPE TARGET [FLAGS]
       tcpvs check -c FILE [--pool NAME]
       tcpvs check vrrp NAME [--expect master|backup] [--control ADDRESS]`,
    options: [
      ...OPTIONS,
      {
        name: "pool",
        type: "string",
        arg: "NAME",
        description: "with -c: only this pool's checks",
        example: "web",
      },
      { name: "quiet", type: "boolean", description: "print nothing; the exit code tells" },
      {
        name: "control",
        type: "string",
        arg: "ADDRESS",
        description: "vrrp: the daemon's control socket (default: the config's [global] control)",
        example: "unix:/run/tcpvs/control.sock",
      },
      {
        name: "token-file",
        type: "string",
        arg: "PATH",
        description: "vrrp: the token for a TCP control address (default: the config's)",
        example: "/etc/tcpvs/control.token",
      },
    ],
    words: ["tcp", "http", "https", "smtp", "dns", "icmp", "udp", "expect", "script", "vrrp"],
    more: CHECK_TYPES_HELP,
    usageExitCode: 3,
    example: "tcpvs check http http://127.0.0.1:8080/health --status 200 --timeout 2s",
  },
  async run({ values, positionals }) {
    const json = Boolean(values.json);
    if (positionals[0] === "vrrp")
      return runVrrpCheck({
        name: positionals[1],
        expect: list(values, "expect")[0],
        json,
        quiet: Boolean(values.quiet),
        target: () => statusTarget(str(values, "control"), str(values, "token-file"), str(values, "config")),
      });
    const argv = [...positionals];
    for (const n of VALUE) if (str(values, n) !== undefined) argv.push(`--${n}`, str(values, n)!);
    const sends = list(values, "send");
    const expects = list(values, "expect");
    for (let i = 0; i < Math.max(sends.length, expects.length); i++) {
      if (sends[i] !== undefined) argv.push("--send", sends[i]!);
      if (expects[i] !== undefined) argv.push("--expect", expects[i]!);
    }
    for (const o of OPTIONS) if (o.type === "boolean" && values[o.name]) argv.push(`--${o.name}`);
    if (values.quiet) argv.push("--quiet");
    let config: TcpvsConfig | undefined;
    if (positionals.length === 0) {
      try {
        config = loadConfig(findConfig(str(values, "config"))).config;
      } catch (e) {
        // Nagios: a check that cannot run is UNKNOWN, not CRITICAL (the service may be fine).
        if (!(e instanceof ConfigError)) throw e;
        const first = e.message.split("\n")[0]!;
        if (!values.quiet)
          process.stdout.write(
            json ? `${JSON.stringify(unknownJson(first, e.code))}\n` : `TCPVS CHECK UNKNOWN - ${first}\n`,
          );
        return 3;
      }
    }
    return runCheck(argv, { json, config });
  },
};
