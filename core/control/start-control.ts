// What `serve` and `vrrp` call: read the token named by the config, check the endpoint is allowed,
// start the channel. Also the config hash the status snapshot shows.

import { createHash } from "node:crypto";
import type { GlobalConfig } from "../config/types.ts";
import { log as defaultLog, type Logger } from "../log/logger.ts";
import type { ControlProvider } from "./control-handler.ts";
import { findGroup } from "./control-group.ts";
import { ControlServer } from "./control-server.ts";
import { readTokenFile, tokenFileTooOpen } from "./token.ts";

export async function startControl(
  global: Pick<GlobalConfig, "control" | "control_token_file" | "control_allow_remote" | "control_group">,
  provider: ControlProvider,
  logger: Logger = provider.logger ?? defaultLog,
): Promise<ControlServer> {
  let token: string | undefined;
  if (global.control_token_file) {
    token = readTokenFile(global.control_token_file);
    if (tokenFileTooOpen(global.control_token_file)) {
      logger.warn("control token file is readable by others: chmod 600 it", {
        file: global.control_token_file,
      });
    }
  }
  return ControlServer.start({
    endpoint: global.control,
    provider: { ...provider, logger },
    token,
    allowRemote: global.control_allow_remote,
    group: global.control_group !== undefined ? findGroup(global.control_group) : undefined,
    logger,
  });
}

/** sha256 hex of the config file's text, for `status` and for noticing a changed file. */
export function configHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
