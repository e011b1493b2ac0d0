// `tcpvs status`: find the daemon's control channel, connect, run the plan, and turn what went wrong
// into docs/control.md's exit codes: 0 ok / condition true, 1 condition false or action refused,
// 2 usage error, 3 daemon unreachable or refused us (no socket, permission, bad token).

import { existsSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { UsageError } from "../cli/usage-error.ts";
import { DEFAULT_CONFIG_PATHS, loadConfig } from "../config/load.ts";
import { ControlClient } from "./ControlClient.ts";
import { ControlError } from "./ControlError.ts";
import type { StatusSnapshot } from "./snapshot.ts";
import {
  EXIT_FALSE,
  EXIT_OK,
  EXIT_UNREACHABLE,
  EXIT_USAGE,
  planStatus,
  STATUS_USAGE,
  type StatusArgs,
  type StatusIO,
  useColor,
} from "./status-plan.ts";
import { formatEvent, formatStatus } from "./statusTable.ts";
import { readTokenFile } from "./token.ts";

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
): Promise<number> {
  let client: ControlClient | undefined;
  try {
    const plan = planStatus(args, watch);
    const token = target.tokenFile ? readTokenFile(target.tokenFile) : undefined;
    client = await ControlClient.connect(target.controlAddress, {
      token,
      clientName: `${safeUser()}@${hostname()}.${process.pid}`,
    });
    return await plan(client, args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n${STATUS_USAGE}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof ControlError) {
      io.err(`tcpvs status: ${e.message}\n`);
      if (e.code === "not_found" || e.code === "action_failed" || e.code === "unavailable") return EXIT_FALSE;
      if (e.code === "bad_request" || e.code === "unknown_method") return EXIT_USAGE;
      return EXIT_UNREACHABLE;
    }
    throw e;
  } finally {
    client?.close();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? "?");
  }
}

/** Stream changes until interrupted or the daemon goes away. */
async function watch(c: ControlClient, a: StatusArgs, io: StatusIO): Promise<number> {
  const redraw = io.isTTY && !a.json;
  let timer: Timer | undefined;
  const draw = async () => {
    timer = undefined;
    const s = (await c.request("status").catch(() => undefined)) as StatusSnapshot | undefined;
    if (s) io.out(`\x1b[H\x1b[2J${formatStatus(s, useColor(io))}`);
  };
  c.onEvent((e) => {
    if (!redraw) {
      io.out(a.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`);
      return;
    }
    // Coalesce bursts of events into one redraw.
    timer ??= setTimeout(draw, 100);
  });
  const ended = new Promise<number>((resolve) => {
    c.onClose((why) => {
      io.err(`tcpvs status: ${why.message}\n`);
      resolve(EXIT_UNREACHABLE);
    });
    const stop = () => resolve(EXIT_OK);
    if (io.abort) io.abort.addEventListener("abort", stop, { once: true });
    else {
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    }
  });
  await c.request("subscribe");
  if (redraw) await draw();
  else if (!a.json) io.out(`watching ${new Date().toISOString()}\n`);
  const code = await ended;
  if (timer) clearTimeout(timer);
  return code;
}
