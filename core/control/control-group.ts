// [global] control_group: the group whose members may read the control channel (status, watch), as
// HAProxy's `stats socket ... level user`. Its name is looked up in /etc/group; the socket becomes
// 0660 for that group and its directory lets the group in. Actions stay with root and the owner.

import { chmodSync, chownSync, readFileSync, statSync } from "node:fs";
import { ControlError } from "./control-error.ts";

export interface ControlGroup {
  name: string;
  gid: number;
  /** uids that list the group as a supplementary group in /etc/group (the primary group is the gid). */
  members: string[];
}

/** The group of this name (or numeric gid) in an /etc/group text; throws a bad_config ControlError. */
export function findGroup(name: string, text = readFileSync("/etc/group", "utf8")): ControlGroup {
  for (const line of text.split("\n")) {
    const [gname, , gid, members = ""] = line.split(":");
    if (!gname || gid === undefined) continue;
    if (gname === name || gid === name)
      return { name: gname, gid: Number(gid), members: members.split(",").filter(Boolean) };
  }
  throw new ControlError(
    "bad_config",
    `Cannot find group "${name}" (global.control_group) in /etc/group: create it (groupadd ${name}) or name another`,
  );
}

/**
 * The socket 0660 owned by the group, and its directory open to the group (g+x, and the group set when
 * we own the directory). Without CAP_CHOWN, giving a file to a group needs membership: under systemd
 * that is SupplementaryGroups=NAME, which the message says.
 */
export function openToGroup(socketPath: string, dir: string, g: ControlGroup): string[] {
  const done: string[] = [];
  const give = (path: string, mode: number) => {
    try {
      chownSync(path, statSync(path).uid, g.gid);
      chmodSync(path, mode);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new ControlError(
        "bad_config",
        `Cannot give "${path}" to group "${g.name}" (global.control_group): ${code}; run tcpvs as root or add SupplementaryGroups=${g.name} to its unit`,
      );
    }
    done.push(`${path} ${mode.toString(8)} group ${g.name}`);
  };
  const d = statSync(dir);
  // A directory others may enter already lets the group in; otherwise it must be the group's.
  if ((d.mode & 0o001) === 0 && (d.gid !== g.gid || (d.mode & 0o010) === 0)) {
    if (d.uid !== process.getuid?.()) {
      throw new ControlError(
        "bad_config",
        `Cannot let group "${g.name}" into "${dir}": it is not ours; choose a control path in a directory tcpvs owns`,
      );
    }
    give(dir, (d.mode & 0o7777) | 0o050);
  }
  give(socketPath, 0o660);
  return done;
}
