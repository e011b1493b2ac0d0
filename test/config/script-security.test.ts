// enable_script_security at config check (keepalived's rule): a script a non-root user could modify or
// replace is refused at its key's line, with the path and the reason; a root-owned one passes.

import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, parseConfig } from "../../core/config/load.ts";
import {
  type FileInfo,
  insecureReason,
  scriptRefs,
  type SecurityFs,
} from "../../core/config/script-security.ts";

const ROOT = process.getuid?.() === 0;
if (!ROOT) console.log("skipping the on-disk script security cases: chown to another user needs root");

/** A fake file system: path -> owner, group, mode. */
function fakeFs(entries: Record<string, Partial<FileInfo>>): SecurityFs {
  return {
    stat: (p) => {
      const e = entries[p];
      return e ? { uid: 0, gid: 0, mode: 0o755, dir: !p.endsWith(".sh"), ...e } : undefined;
    },
    realpath: (p) => p,
    pathDirs: ["/usr/bin"],
  };
}

describe("the rule", () => {
  const base = { "/": {}, "/etc": {}, "/etc/tcpvs": {}, "/etc/tcpvs/check.sh": {}, "/tmp": { mode: 0o1777 } };
  test("root-owned, writable by root only: accepted", () => {
    expect(insecureReason("/etc/tcpvs/check.sh --fast", fakeFs(base))).toBeUndefined();
  });
  test("a script owned by another user, group-writable or writable by all is refused with the reason", () => {
    const fs = (e: Partial<FileInfo>) => fakeFs({ ...base, "/etc/tcpvs/check.sh": e });
    expect(insecureReason("/etc/tcpvs/check.sh", fs({ uid: 1000 }))).toContain(
      '"/etc/tcpvs/check.sh" is owned by uid 1000, not root',
    );
    expect(insecureReason("/etc/tcpvs/check.sh", fs({ mode: 0o775, gid: 50 }))).toContain(
      "is writable by group 50",
    );
    // Group-writable by root's own group is fine.
    expect(insecureReason("/etc/tcpvs/check.sh", fs({ mode: 0o775, gid: 0 }))).toBeUndefined();
    expect(insecureReason("/etc/tcpvs/check.sh", fs({ mode: 0o757 }))).toContain("writable by every user");
  });
  test("a directory above it a non-root user can write is refused; a sticky one (/tmp) is not", () => {
    const dir = fakeFs({ ...base, "/etc/tcpvs": { mode: 0o777 } });
    expect(insecureReason("/etc/tcpvs/check.sh", dir)).toContain(
      'directory "/etc/tcpvs" is writable by every user',
    );
    const sticky = fakeFs({ ...base, "/tmp/check.sh": {} });
    expect(insecureReason("/tmp/check.sh", sticky)).toBeUndefined();
  });
  test("a bare name is found through PATH; a missing or relative one is refused", () => {
    const fs = fakeFs({ "/": {}, "/usr": {}, "/usr/bin": {}, "/usr/bin/true.sh": {} });
    expect(insecureReason("true.sh", fs)).toBeUndefined();
    expect(insecureReason("nothing-here", fs)).toContain('cannot find "nothing-here" in PATH');
    expect(insecureReason("./x.sh", fs)).toContain("relative path");
  });
  test("every script key of the file is found, at its path", () => {
    const refs = scriptRefs({
      pool: {
        app: {
          notify_up: "/a",
          quorum_down: "/q",
          check: [{ type: "tcp" }, { type: "script", script: "/c" }],
        },
      },
      vrrp: { VI_1: { notify_master: "/m", track_script: { script: "/t" } } },
    });
    expect(refs.map((r) => `${r.path}=${r.command}`)).toEqual([
      "pool.app.notify_up=/a",
      "pool.app.quorum_down=/q",
      "pool.app.check[1].script=/c",
      "vrrp.VI_1.notify_master=/m",
      "vrrp.VI_1.track_script.script=/t",
    ]);
  });
});

describe.skipIf(!ROOT)("on disk, through config check", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const config = (script: string, security: boolean) => `[global]
enable_script_security = ${security}

[vrrp.VI_1]
interface = "lo"
virtual_router_id = 9
virtual_ipaddress = ["10.9.9.9/32"]
notify_master = "${script} MASTER"
`;

  test("a script in a directory another user owns is refused at its line; with security off it passes", () => {
    const d = mkdtempSync(join(tmpdir(), "tcpvs-sec-"));
    dirs.push(d);
    const sub = join(d, "scripts");
    mkdirSync(sub);
    const script = join(sub, "notify.sh");
    writeFileSync(script, "#!/bin/sh\nexit 0\n");
    chmodSync(script, 0o755);
    expect(() => parseConfig(config(script, true), "t.toml")).not.toThrow();
    chownSync(sub, 65534, 65534);
    let err: unknown;
    try {
      parseConfig(config(script, true), "t.toml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const p = (err as ConfigError).problems[0]!;
    expect(p.line).toBe(8);
    expect(p.path).toBe("vrrp.VI_1.notify_master");
    expect(p.message).toContain(`directory "${sub}" is owned by uid 65534, not root`);
    expect(() => parseConfig(config(script, false), "t.toml")).not.toThrow();
    chownSync(sub, 0, 0);
    chmodSync(script, 0o777);
    expect(() => parseConfig(config(script, true), "t.toml")).toThrow(
      `"${script}" is writable by every user`,
    );
  });
});
