// Every external command a test or bench spawns is installed by .ci/install-peers (listed in
// .ci/packages.tsv) or comes with Debian itself; and a non-root run, which installs nothing, skips the
// tests needing a missing one and says why. A fresh machine once failed on `ping`, which a machine with
// it installed by hand had hidden.

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { peerPackages } from "../tools";
import { guardedCommands, rootGated, shellCommands, spawnedCommands } from "./command-scan";

const ROOT = join(import.meta.dir, "..", "..");

/** Commands of Debian's Essential and required packages (coreutils, bash, dash, util-linux, bsdutils, findutils,
 * grep, sed, mawk, procps is not among them): on every Debian machine. */
const BASE = new Set(
  (
    "sh bash env kill sleep cat echo printf rm mkdir rmdir true false test id ls cp mv chmod chown head " +
    "tail grep sed awk timeout tee touch sort wc mktemp dd stat ln readlink seq yes nohup setsid uname " +
    "date whoami sync xargs find tr cut basename dirname pwd wait exit trap kill ulimit renice"
  ).split(" "),
);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== "node_modules") out.push(...sources(p));
    else if (e.isFile() && /\.(ts|mjs|js)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Where this machine has the command, the package dpkg says brought it. */
function debianPackageHint(cmd: string): string {
  if (!Bun.which(cmd, { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" })) return "";
  // dpkg records /bin/ping where merged /usr shows /usr/bin/ping: match on the tail.
  const r = Bun.spawnSync(["dpkg", "-S", `*bin/${cmd}`], { stdout: "pipe", stderr: "ignore" });
  const pkg = r.exitCode === 0 ? r.stdout.toString().split(":")[0] : "";
  return pkg ? ` (here it comes from ${pkg})` : "";
}

interface Source {
  name: string;
  text: string;
}

/**
 * A helper module (not a .test file) counts as root-gated when every test file importing it is: it then
 * runs only as root, when `npm test` has installed every listed peer.
 */
function gatedFiles(files: Source[]): Set<string> {
  const gated = new Set(files.filter((f) => rootGated(f.text)).map((f) => f.name));
  const helpers = files.filter((f) => !f.name.endsWith(".test.ts"));
  // Helpers import helpers (lab ← peers ← a test): repeat until nothing changes.
  for (let grew = true; grew; ) {
    grew = false;
    for (const h of helpers) {
      if (gated.has(h.name)) continue;
      const stem = h.name.slice(h.name.lastIndexOf("/") + 1).replace(/\.ts$/, "");
      const importers = files.filter(
        (f) => f !== h && new RegExp(`from "[^"]*/${stem}(\\.ts)?"`).test(f.text),
      );
      if (importers.length > 0 && importers.every((f) => gated.has(f.name))) {
        gated.add(h.name);
        grew = true;
      }
    }
  }
  return gated;
}

/**
 * The problems: a command no list installs (tests and benches), or one a test spawns with no skip for
 * when it is missing (a non-root run installs nothing).
 */
function problems(files: Source[], pkgs: Map<string, string>): string[] {
  const out: string[] = [];
  const gated = gatedFiles(files);
  for (const { name, text } of files) {
    const guarded = guardedCommands(text);
    const mustGuard = name.startsWith("test/") && !gated.has(name);
    for (const { cmd, line } of spawnedCommands(text)) {
      if (BASE.has(cmd)) continue;
      const pkg = pkgs.get(cmd);
      if (!pkg) {
        out.push(
          `${name}:${line}: spawns "${cmd}", which .ci/packages.tsv does not list: add it with its Debian package` +
            debianPackageHint(cmd),
        );
      } else if (mustGuard && !guarded.has(cmd)) {
        out.push(
          `${name}:${line}: spawns "${cmd}" (Debian package ${pkg}) with no skip for when it is missing: ` +
            `guard the suite with missingTools("…", "${cmd}")`,
        );
      }
    }
  }
  return [...new Set(out)];
}

describe("the scanner", () => {
  test("finds argv arrays, shell strings and Bun.$ templates, and the guards", () => {
    const D = "$"; // source text under test holds ${…} placeholders of its own
    const src = [
      `lab.spawn(2, ["tcpdump", "-l"]);`,
      `lab.sh(3, \`ping -c 1 ${D}{VIP} && arping -c1 x | grep y\`);`,
      `Bun.spawnSync(["ip", "netns", "exec", ns, "sh", "-c", "echo 0 > /proc/x; keepalived -n"]);`,
      `Bun.spawn(["/usr/sbin/smtpd", "-d"]);`,
      `await Bun.$\`rm -f ${D}{dir}.crt\`.quiet();`,
      `Bun.spawn([process.execPath, "x.ts"]);`,
      `const t = Bun.which("tmux"); if (missingTools("x", "wrk", "curl")) {}`,
    ].join("\n");
    expect(spawnedCommands(src).map((s) => `${s.cmd}@${s.line}`)).toEqual([
      "tcpdump@1",
      "ip@3",
      "smtpd@4",
      "echo@3",
      "keepalived@3",
      "ping@2",
      "arping@2",
      "grep@2",
      "rm@5",
    ]);
    expect([...guardedCommands(src)].sort()).toEqual(["curl", "tmux", "wrk"]);
    expect(shellCommands(`FOO=1 exec nginx -c x; command -v y; ${D}{BIN} z`)).toEqual(["nginx"]);
    expect(spawnedCommands(`Bun.spawn(["python3", "-c", "import x"]); run(["check", "tcp"]);`)).toEqual([
      { cmd: "python3", line: 1 },
    ]);
  });

  test("reports an unlisted command and an unguarded one, by file and line", () => {
    const pkgs = new Map([["ping", "iputils-ping"]]);
    const got = problems(
      [
        { name: "test/a.test.ts", text: `\nlab.sh(3, "ping -c 1 x");\nBun.spawn(["frobnicate"]);` },
        { name: "test/b.test.ts", text: `if (missingTools("b", "ping")) {}\nBun.spawn(["ping", "x"]);` },
        { name: "test/c.test.ts", text: `if (!isRoot()) test.skip("x");\nimport { L } from "./lab";` },
        { name: "test/lab.ts", text: `Bun.spawn(["ping", "x"]);` },
        { name: "bench/d.ts", text: `Bun.spawn(["ping", "x"]);` },
      ],
      pkgs,
    );
    expect(got).toEqual([
      `test/a.test.ts:3: spawns "frobnicate", which .ci/packages.tsv does not list: add it with its Debian package`,
      `test/a.test.ts:2: spawns "ping" (Debian package iputils-ping) with no skip for when it is missing: guard the suite with missingTools("…", "ping")`,
    ]);
  });
});

test("every command the tests and benches spawn is installed by .ci/install-peers and guarded", () => {
  const files = [...sources(join(ROOT, "test")), ...sources(join(ROOT, "bench"))]
    .filter((f) => !f.includes(`${join("test", "ci")}`))
    .map((f) => ({ name: relative(ROOT, f), text: readFileSync(f, "utf8") }));
  expect(files.length).toBeGreaterThan(50);
  expect(problems(files, peerPackages())).toEqual([]);
});

test(".ci/run installs through .ci/install-peers, and npm test does too (pretest)", () => {
  expect(readFileSync(join(ROOT, ".ci", "run"), "utf8")).toMatch(/^bash \.ci\/install-peers$/m);
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  expect(pkg.scripts.pretest).toBe("bash .ci/install-peers");
});
