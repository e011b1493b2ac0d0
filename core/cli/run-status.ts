// `tcpvs status`: find the daemon's control channel, connect, run the plan, and turn what went wrong
// into docs/control.md's exit codes: 0 ok / condition true, 1 condition false or action refused,
// 2 usage error, 3 daemon unreachable or refused us (no socket, permission, bad token).

import { existsSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { jsonError as jsonFailureOf } from "./json-errors.ts";
import { UsageError } from "./usage-error.ts";
import { DEFAULT_CONFIG_PATHS, loadConfig } from "../config/load.ts";
import { ControlClient } from "../control/control-client.ts";
import { ControlError } from "../control/control-error.ts";
import {
  EXIT_FALSE,
  EXIT_UNREACHABLE,
  EXIT_USAGE,
  planStatus,
  STATUS_USAGE,
  type StatusArgs,
  type StatusIO,
} from "./status-plan.ts";
import { readTokenFile } from "../control/token.ts";
import { type NodeTarget, runStatusAll } from "./status-all.ts";
import { runWatch } from "./watch-loop.ts";

export interface StatusTarget {
  controlAddress: string;
  tokenFile?: string;
}

const defaultIO: StatusIO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
};

/** --control wins; else the config's [global] control (and its token file); else the packaged default. */
export function statusTarget(control?: string, tokenFile?: string, configFile?: string): StatusTarget {
  if (control) return { controlAddress: control, tokenFile };
  const file = configFile ?? DEFAULT_CONFIG_PATHS.find((p) => existsSync(p));
  if (!file) return { controlAddress: "unix:/run/tcpvs/control.sock", tokenFile };
  const { config } = loadConfig(file);
  return {
    controlAddress: config.global.control.text,
    tokenFile: tokenFile ?? config.global.control_token_file,
  };
}

export async function runStatus(
  args: StatusArgs,
  target: StatusTarget,
  io: StatusIO = defaultIO,
  /** The nodes of `--all` (this one and the config's peers), read only when --all is given. */
  nodes?: () => NodeTarget[],
): Promise<number> {
  let client: ControlClient | undefined;
  try {
    if (args.all) {
      if (!nodes) throw new UsageError("bad_arguments", "Give a config with [global] peers to use --all");
      return await runStatusAll(args, nodes(), io);
    }
    let connect: () => Promise<ControlClient> = () => Promise.reject(new Error("not connected"));
    const plan = planStatus(args, (c, a, o) => runWatch(c, { io: o, json: a.json, connect }));
    const token = target.tokenFile ? readTokenFile(target.tokenFile) : undefined;
    connect = () =>
      ControlClient.connect(target.controlAddress, {
        token,
        clientName: `${safeUser()}@${hostname()}.${process.pid}`,
      });
    client = await connect();
    return await plan(client, args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      jsonError(args, io, e.code, e.message);
      io.err(
        `tcpvs status: ${e.message}\n${STATUS_USAGE}\nRun "tcpvs status --help" for the flags and examples.\n`,
      );
      return EXIT_USAGE;
    }
    if (e instanceof ControlError) {
      jsonError(args, io, e.code, e.message);
      io.err(`tcpvs status: ${e.message}\n`);
      // Refused actions (a read-only peer's too) are "false", not "unreachable": the daemon answered.
      if (["not_found", "action_failed", "unavailable", "read_only"].includes(e.code)) return EXIT_FALSE;
      if (e.code === "bad_request" || e.code === "unknown_method") return EXIT_USAGE;
      return EXIT_UNREACHABLE;
    }
    throw e;
  } finally {
    client?.close();
  }
}

/** With --json, a failure is JSON on stdout too (docs/schema/error.schema.json); stderr keeps the text. */
function jsonError(a: StatusArgs, io: StatusIO, code: string, message: string): void {
  if (a.json) io.out(`${JSON.stringify(jsonFailureOf(code, message))}\n`);
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? "?");
  }
}
