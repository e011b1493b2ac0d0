#!/usr/bin/env bun
// tcpvs entry point: dispatch to one subcommand, and the one place where errors become a message and an
// exit code. Nothing below prints a stack of minified source to an operator.

import { failureReport } from "../core/cli/failure-report.ts";
import { type CommandSpec, GLOBAL_OPTIONS, helpText } from "../core/cli/help-text.ts";
import { parseArgv, str } from "../core/cli/parse-argv.ts";
import { UsageError } from "../core/cli/usage-error.ts";
import { nearest } from "../core/config/values.ts";
import { codeOf } from "../core/errors/tcpvs-error.ts";
import { isLogLevel, Logger, log, setLogger } from "../core/log/logger.ts";
import type { Command } from "./command.ts";

// Each subcommand's module is loaded only when it runs, so `--version` and `--help` stay quick.
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("./serve.ts")).command,
  check: async () => (await import("./check.ts")).command,
  vrrp: async () => (await import("./vrrp.ts")).command,
  status: async () => (await import("./status.ts")).command,
  config: async () => (await import("./config.ts")).command,
  init: async () => (await import("./init.ts")).command,
  import: async () => (await import("./import.ts")).command,
  version: async () => (await import("./version.ts")).command,
  help: async () => helpCommand,
};

const OVERVIEW = `tcpvs: a layer-7 virtual server with health checking and VRRP failover

Usage: tcpvs COMMAND [FLAGS]

Commands:
  serve     run the director: listeners, L7 switch, health checks, VRRP, control channel
  check     run health checks once (Nagios exit codes), from flags or the config
  vrrp      run the config's VRRP instances alone
  status    read and steer a running tcpvs over its control channel
  config    validate a config file and print it normalised ("config check")
  init      write a config for a node and its peer, interactively or from flags
  import    write a tcpvs.toml from a keepalived.conf ("import keepalived FILE")
  version   print the version
  help      show help for a command

Global flags: -c/--config PATH, --json, --log-level LEVEL, --log-format text|json, -h/--help

Exit codes: 0 ok, 1 failure, 2 usage or config error; "check" follows the Nagios convention
(0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

Run "tcpvs COMMAND --help" for a command's flags and an example.
Example: tcpvs serve --demo
`;

const helpSpec: CommandSpec = {
  name: "help",
  summary: "show help for tcpvs or one of its commands",
  usage: "tcpvs help [COMMAND]",
  options: [],
  example: "tcpvs help serve",
};

const helpCommand: Command = {
  spec: helpSpec,
  async run({ positionals }) {
    const name = positionals[0];
    if (!name) {
      process.stdout.write(OVERVIEW);
      return 0;
    }
    const cmd = await resolve(name);
    process.stdout.write(helpText(cmd.spec));
    return 0;
  },
};

async function resolve(name: string): Promise<Command> {
  const load = COMMANDS[name];
  if (!load) {
    const hint = nearest(name, Object.keys(COMMANDS));
    throw new UsageError(
      "unknown_command",
      `unknown command "${name}"${hint ? `; did you mean "${hint}"?` : ""}`,
    );
  }
  return load();
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help") {
    process.stdout.write(OVERVIEW);
    return 0;
  }
  if (name === "--version" || name === "-V")
    return (await resolve("version")).run({ values: {}, positionals: [] });
  const cmd = await resolve(name);
  const { values, positionals } = parseArgv(rest, [...cmd.spec.options, ...GLOBAL_OPTIONS], {
    command: cmd.spec.name,
    exitCode: cmd.spec.usageExitCode,
  });
  if (values.help) {
    process.stdout.write(helpText(cmd.spec));
    return 0;
  }
  const level = str(values, "log-level") ?? "info";
  const format = str(values, "log-format") ?? "text";
  if (!isLogLevel(level))
    throw new UsageError("invalid_value", `invalid --log-level "${level}": use debug, info, warn or error`);
  if (format !== "text" && format !== "json")
    throw new UsageError("invalid_value", `invalid --log-format "${format}": use text or json`);
  setLogger(new Logger({ level, format }));
  return cmd.run({ values, positionals });
}

/** The one place an error becomes a message and an exit code. */
function fail(err: unknown): number {
  const r = failureReport(err, Boolean(process.env.TCPVS_DEBUG));
  process.stderr.write(r.text);
  return r.exitCode;
}

// A stray error in a socket callback must not take the director down: log it and carry on.
process.on("uncaughtException", (err) =>
  log.error("uncaught error", { error: err.message, code: codeOf(err) }),
);
process.on("unhandledRejection", (err) =>
  log.error("unhandled rejection", { error: err instanceof Error ? err.message : String(err) }),
);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => process.exit(fail(err)),
);
