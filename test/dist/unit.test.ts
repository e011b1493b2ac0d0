// dist/tcpvs.service: the hardening keeps the score docs/operations.md states (systemd-analyze security,
// offline, where systemd is installed), and the unit keeps what the operator relies on: a quiet config
// check before start and reload, no restart loop on a config error, a Documentation= page that the
// install steps put in place.

import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONTROL_NICE, VRRP_NICE } from "../../core/sys/cpu-priority.ts";
import { missingTools } from "../tools.ts";

const ROOT = join(import.meta.dir, "..", "..");
const UNIT = join(ROOT, "dist", "tcpvs.service");
const unit = readFileSync(UNIT, "utf8");
const operations = readFileSync(join(ROOT, "docs", "operations.md"), "utf8");

/** The score docs/operations.md promises: "rates the unit 3.0 OK". */
function documentedScore(): number {
  const m = /systemd-analyze security tcpvs` rates the unit (\d+\.\d)/.exec(operations);
  if (!m) throw new Error("docs/operations.md does not state the unit's security score");
  return Number(m[1]);
}

const skip = missingTools("the systemd-analyze security test", "systemd-analyze");

test.skipIf(skip !== undefined)("systemd-analyze security scores the unit no worse than the docs say", () => {
  const r = Bun.spawnSync(["systemd-analyze", "security", "--offline=yes", "--no-pager", UNIT], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const text = r.stdout.toString() + r.stderr.toString();
  const m = /Overall exposure level for tcpvs\.service: (\d+\.\d)/.exec(text);
  expect(m?.[1]).toBeDefined();
  const score = Number(m![1]);
  console.log(
    `systemd-analyze security --offline=yes dist/tcpvs.service: ${score} (documented ${documentedScore()})`,
  );
  expect(score).toBeLessThanOrEqual(documentedScore());
  // The unit's own comment states the same score.
  expect(unit).toContain(`rates this unit ${documentedScore().toFixed(1)} OK`);
  // The directives the hardening rests on are really in force (a typo'd one is ignored with a warning).
  for (const d of [
    "ProtectKernelTunables=",
    "RestrictAddressFamilies=~…",
    "LockPersonality=",
    "RestrictNamespaces=~user",
    "SystemCallFilter=~@mount",
  ])
    expect(text).toContain(`✓ ${d}`);
});

test("config check runs quiet before start and reload; exit 2 is not restarted; the man page is the documentation", () => {
  const lines = unit.split("\n");
  const pre = lines.filter((l) => /^Exec(StartPre|Reload)=.*config check/.test(l));
  expect(pre.length).toBe(2);
  for (const l of pre) expect(l).toContain("--quiet");
  expect(lines).toContain("RestartPreventExitStatus=2");
  expect(lines).toContain("Documentation=man:tcpvs(1)");
  expect(operations).toContain("/usr/local/share/man/man1/tcpvs.1");
  // CAP_KILL is explained where it is granted.
  const i = lines.findIndex((l) => l.startsWith("CapabilityBoundingSet="));
  expect(lines[i]).toContain("CAP_KILL");
  expect(lines.slice(Math.max(0, i - 8), i).join("\n")).toContain(
    "CAP_KILL stays in the bounding set for scripts",
  );
});

test("LimitNICE lets the process raise its highest thread (VRRP's) without CAP_SYS_NICE", () => {
  // The unit's figure and cpu-priority.ts's must agree: a lower limit makes the VRRP thread's raise fail
  // (and the data path yield at nice 5 instead); the capability is not in the bounding set.
  expect(unit).toMatch(new RegExp(`^LimitNICE=${VRRP_NICE}$`, "m"));
  expect(Math.min(VRRP_NICE, CONTROL_NICE)).toBe(VRRP_NICE);
  expect(/^CapabilityBoundingSet=.*$/m.exec(unit)?.[0]).not.toContain("CAP_SYS_NICE");
});
