// External commands the tests spawn: which Debian package brings each (from .ci/packages.tsv, the list
// .ci/install-peers installs from) and a skip reason that names it when it is missing.

import { readFileSync } from "node:fs";
import { join } from "node:path";

const LIST = join(import.meta.dir, "..", ".ci", "packages.tsv");

/** command → Debian package, as .ci/packages.tsv lists them. */
export function peerPackages(text = readFileSync(LIST, "utf8")): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [cmd, pkg] = line.trim().split(/\s+/);
    if (cmd && pkg && !cmd.startsWith("#")) out.set(cmd, pkg);
  }
  return out;
}

export function haveTool(name: string): boolean {
  return Bun.which(name) !== null || Bun.which(name, { PATH: "/usr/sbin:/sbin:/usr/bin:/bin" }) !== null;
}

/**
 * Why a suite that runs these commands must skip here, or undefined when all are installed. Prints the
 * reason once, so a skipped suite always says why, with the package to install.
 */
export function missingTools(suite: string, ...cmds: string[]): string | undefined {
  const pkgs = peerPackages();
  const gone = cmds.filter((c) => !haveTool(c));
  if (gone.length === 0) return undefined;
  const what = gone.map((c) => `${c} (apt-get install ${pkgs.get(c) ?? "?"})`).join(", ");
  const reason = `skipping ${suite}: not installed: ${what}; .ci/install-peers installs them as root`;
  console.log(reason);
  return reason;
}
