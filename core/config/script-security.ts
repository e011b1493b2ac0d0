// keepalived's enable_script_security at `config check`: a script tcpvs would run (as root, or as
// script_user) must not be modifiable or replaceable by a non-root user. The program of every command
// line in the file (its first word, found through PATH when it has no slash) and every directory above
// it must be owned by root, not writable by a group other than root's, and not writable by others (a
// sticky directory such as /tmp excepted: nobody may replace another's entry there). Symbolic links
// are followed, and the directories of the link and of its target are both checked. Also: a
// script_user that names no user or group is refused here, not at the first script.

import { realpathSync, statSync } from "node:fs";
import { dirname, join as joinPath } from "node:path";
import { parseScriptUser, setprivPrefix } from "../exec/script-user.ts";
import { type Issue, isTable, join, type Raw } from "./fields.ts";

/** One command line of the file, at its key path. */
export interface ScriptRef {
  path: string;
  command: string;
}

export interface FileInfo {
  uid: number;
  gid: number;
  mode: number;
  dir: boolean;
}

export interface SecurityFs {
  stat(path: string): FileInfo | undefined;
  realpath(path: string): string;
  pathDirs: string[];
}

const NOTIFY_KEYS = ["notify_up", "notify_down", "quorum_up", "quorum_down"];
const VRRP_NOTIFY_KEYS = ["notify_master", "notify_backup", "notify_fault", "notify_stop", "notify"];

/** Each table of `raw[key]` (a list of tables, or one) with its key path. */
function each(raw: unknown, path: string): Array<{ t: Raw; path: string }> {
  if (Array.isArray(raw)) return raw.flatMap((t, i) => (isTable(t) ? [{ t, path: join(path, i) }] : []));
  return isTable(raw) ? [{ t: raw, path }] : [];
}

export function scriptRefs(raw: Raw): ScriptRef[] {
  const out: ScriptRef[] = [];
  const take = (t: Raw, key: string, path: string) => {
    const v = t[key];
    if (typeof v === "string" && v.trim()) out.push({ path: join(path, key), command: v });
  };
  for (const [name, pool] of Object.entries(isTable(raw.pool) ? raw.pool : {})) {
    if (!isTable(pool)) continue;
    const p = join("pool", name);
    for (const k of NOTIFY_KEYS) take(pool, k, p);
    for (const c of each(pool.check, join(p, "check"))) take(c.t, "script", c.path);
  }
  for (const [name, inst] of Object.entries(isTable(raw.vrrp) ? raw.vrrp : {})) {
    if (!isTable(inst)) continue;
    const p = join("vrrp", name);
    for (const k of VRRP_NOTIFY_KEYS) take(inst, k, p);
    for (const s of each(inst.track_script, join(p, "track_script"))) take(s.t, "script", s.path);
  }
  return out;
}

/** Why a non-root user could change `entry`, or undefined. */
function weakness(entry: string, f: FileInfo): string | undefined {
  const what = f.dir ? `directory "${entry}"` : `"${entry}"`;
  if (f.uid !== 0) return `${what} is owned by uid ${f.uid}, not root`;
  if (f.mode & 0o020 && f.gid !== 0) return `${what} is writable by group ${f.gid}`;
  if (f.mode & 0o002 && !(f.dir && f.mode & 0o1000)) return `${what} is writable by every user`;
  return undefined;
}

/** The entry and every directory above it, up to "/". */
function chain(path: string): string[] {
  const out = [path];
  for (let d = dirname(path); ; d = dirname(d)) {
    out.push(d);
    if (d === "/" || d === ".") break;
  }
  return out;
}

/** Why the program of `command` is not safe to run, or undefined. */
export function insecureReason(command: string, fs: SecurityFs): string | undefined {
  const program = command.trim().split(/\s+/)[0] ?? "";
  let path = program;
  if (!program.includes("/")) {
    const found = fs.pathDirs.map((d) => joinPath(d, program)).find((p) => fs.stat(p));
    if (!found) return `cannot find "${program}" in PATH to check it`;
    path = found;
  }
  if (!path.startsWith("/")) return `"${program}" is a relative path; name the script by its absolute path`;
  if (!fs.stat(path)) return `"${path}" does not exist`;
  let real = path;
  try {
    real = fs.realpath(path);
  } catch {
    // Checked as written.
  }
  const entries = new Set([...chain(path), ...chain(real)]);
  entries.delete(path);
  for (const e of [real, ...entries]) {
    const info = fs.stat(e);
    const why = info && weakness(e, info);
    if (why) return `${why} (a non-root user could change what runs)`;
  }
  return undefined;
}

export const realFs: SecurityFs = {
  stat(path) {
    try {
      const s = statSync(path);
      return { uid: s.uid, gid: s.gid, mode: s.mode, dir: s.isDirectory() };
    } catch {
      return undefined;
    }
  },
  realpath: (p) => realpathSync(p),
  pathDirs: (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":").filter((d) => d.startsWith("/")),
};

/** The file's script problems: only when [global] enables them (or names a script_user). */
export function scriptIssues(raw: Raw, fs: SecurityFs = realFs): Issue[] {
  const g = isTable(raw.global) ? raw.global : {};
  const issues: Issue[] = [];
  if (typeof g.script_user === "string") {
    const u = parseScriptUser(g.script_user);
    try {
      if (!u) throw new Error(`invalid script_user "${g.script_user}": expected "USER" or "USER GROUP"`);
      setprivPrefix(u);
    } catch (e) {
      issues.push({ path: "global.script_user", message: (e as Error).message });
    }
  }
  if (g.enable_script_security !== true) return issues;
  for (const ref of scriptRefs(raw)) {
    const why = insecureReason(ref.command, fs);
    if (why) {
      issues.push({
        path: ref.path,
        message: `refusing script ${JSON.stringify(ref.command)} (enable_script_security): ${why}; make it and its directories root-owned and writable by root only, or set enable_script_security = false`,
      });
    }
  }
  return issues;
}
