#!/usr/bin/env bun
// tcpvs entry point: dispatch to one subcommand, and the one place where errors become a message and an
// exit code. Nothing below prints a stack of minified source to an operator.

import { failureReport } from "../core/cli/failure-report.ts";
import { GLOBAL_OPTIONS, helpText } from "../core/cli/help-text.ts";
import { parseArgv, str } from "../core/cli/parse-argv.ts";
import { UsageError } from "../core/cli/usage-error.ts";
import { codeOf } from "../core/errors/tcpvs-error.ts";
import { isLogLevel, Logger, log, setLogger } from "../core/log/logger.ts";
import type { Command } from "./command.ts";
import { overview, resolve } from "./help.ts";

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "-h" || name === "--help") {
    process.stdout.write(await overview());
    return 0;
  }
  // No command at all is a usage error: the overview goes to stderr and a script sees exit 2.
  if (name === undefined) {
    process.stderr.write(await overview());
    return 2;
  }
  if (name === "--version" || name === "-V" || name === "-v")
    return (await resolve("version")).run({ values: {}, positionals: [] });
  const cmd = await resolve(name);
  try {
    return await runCommand(cmd, rest);
  } catch (e) {
    // A usage error points at this command's help, not at the overview.
    if (e instanceof UsageError) e.command ??= cmd.spec.name;
    throw e;
  }
}

async function runCommand(cmd: Command, rest: string[]): Promise<number> {
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
