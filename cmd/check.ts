// `tcpvs check`: its flags, mapped to the words core/check/cli-args.ts reads; the report and the Nagios
// aggregation are core/check/check-report.ts's.

import { checkFlagDoc } from "../core/check/check-flag-docs.ts";
import { CHECK_TYPES_HELP, runCheck } from "../core/check/check-report.ts";
import { VALUE_FLAGS } from "../core/check/cli-args.ts";
import { unknownJson } from "../core/check/nagios-output.ts";
import { runVrrpCheck } from "../core/check/vrrp-check.ts";
import { list, type OptionSpec, str } from "../core/cli/parse-argv.ts";
import { ConfigError, findConfig, loadConfig } from "../core/config/load.ts";
import type { TcpvsConfig } from "../core/config/types.ts";
import { statusTarget } from "../core/control/run-status.ts";
import type { Command } from "./command.ts";

// The CLI's view of this command: flags for parsing and --help, mapped back to runCheck's argv.
// send/expect repeat and pair up in order, so they are list flags; the rest take one value.
const VALUE = [...VALUE_FLAGS].filter((f) => f !== "send" && f !== "expect");

function flag(name: string, type: "string" | "boolean"): OptionSpec {
  const d = checkFlagDoc(name);
  return {
    name,
    type,
    ...(type === "string" ? { arg: d.arg } : {}),
    description: d.description,
    ...(d.example ? { example: d.example } : {}),
  };
}
export const command: Command = {
  spec: {
    name: "check",
    summary: "run health checks once (Nagios exit codes), from flags or the config",
    usage: `tcpvs check TYPE TARGET [FLAGS]
       tcpvs check -c FILE [--pool NAME]
       tcpvs check vrrp NAME [--expect master|backup] [--control ADDRESS]`,
    options: [
      ...VALUE.map((name) =>
        name === "type" ? { ...flag(name, "string"), hidden: true } : flag(name, "string"),
      ),
      { ...flag("send", "string"), multiple: true },
      { ...flag("expect", "string"), multiple: true },
      flag("insecure", "boolean"),
      flag("dynamic", "boolean"),
      flag("quiet", "boolean"),
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
    for (const b of ["insecure", "dynamic", "quiet"]) if (values[b]) argv.push(`--${b}`);
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
