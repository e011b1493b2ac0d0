// keepalived's script_user: every command tcpvs runs (check scripts, check and quorum notifiers, VRRP
// track and notify scripts) runs as that user instead of root. run-command.ts puts every argv through
// asScriptUser, so the rule lives here once.
//
// Bun.spawn has no uid/gid option, so the command is started through util-linux's setpriv, which sets
// the real and effective uid and gid and the user's supplementary groups (initgroups) and then execs
// the command: the same pid, so the runner's process group and its kill on timeout work unchanged,
// and no code of ours runs between fork and exec. setpriv is in util-linux, which Debian installs on
// every system; its absence is reported when the setting is applied, not at the first script.

import { existsSync } from "node:fs";
import { TcpvsError } from "../errors/tcpvs-error.ts";

export const SETPRIV = "/usr/bin/setpriv";

/** A script_user that cannot be used: no such user or group, or no setpriv. */
export class ScriptUserError extends TcpvsError {
  declare readonly code: "bad_config";
  constructor(message: string) {
    super("bad_config", message);
    this.name = "ScriptUserError";
  }
}

export interface ScriptUser {
  user: string;
  /** The group to run as; the user's own primary group when unset. */
  group?: string;
}

/** "name" or "name group", as keepalived writes script_user. */
export function parseScriptUser(text: string): ScriptUser | undefined {
  const [user, group, ...rest] = text.trim().split(/\s+/);
  if (!user || rest.length > 0) return undefined;
  return group ? { user, group } : { user };
}

/** `id` answers through NSS (files, LDAP ...) as setpriv itself will resolve the names. */
function idOf(flag: "-u" | "-g", name: string): string | undefined {
  const r = Bun.spawnSync(["id", flag, "--", name], { stdout: "pipe", stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString().trim() : undefined;
}

/** The setpriv prefix for `u`; throws ScriptUserError naming what is missing. */
export function setprivPrefix(u: ScriptUser): string[] {
  if (!existsSync(SETPRIV))
    throw new ScriptUserError(`Install util-linux: script_user needs ${SETPRIV}, which is missing`);
  const uid = idOf("-u", u.user);
  if (uid === undefined)
    throw new ScriptUserError(`Create user "${u.user}" or change script_user: no such user`);
  let gid: string | undefined;
  if (u.group) {
    const line = Bun.spawnSync(["getent", "group", u.group], { stdout: "pipe", stderr: "ignore" });
    gid = line.exitCode === 0 ? line.stdout.toString().split(":")[2] : undefined;
    if (gid === undefined)
      throw new ScriptUserError(`Create group "${u.group}" or change script_user: no such group`);
  } else gid = idOf("-g", u.user);
  return [SETPRIV, `--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "--"];
}

let prefix: string[] = [];

/** Run every later command as `text` ("user [group]"); undefined: as tcpvs itself. Throws when unusable. */
export function setScriptUser(text: string | undefined): void {
  if (text === undefined) {
    prefix = [];
    return;
  }
  const u = parseScriptUser(text);
  if (!u) throw new ScriptUserError(`Write script_user as "USER" or "USER GROUP", not "${text}"`);
  prefix = setprivPrefix(u);
}

/** `argv` as the configured script user runs it. */
export function asScriptUser(argv: string[]): string[] {
  return prefix.length === 0 ? argv : [...prefix, ...argv];
}
