// Help, man page and completions come from one source (the commands' specs): every command's --help
// has one usage block and a description and an example for each flag that takes a value; docs/tcpvs.1
// is what `tcpvs man` prints and groff renders it without a warning; the bash completion completes
// commands, actions, flags and values; the zsh one parses. Mistakes point at the right --help.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { missingTools } from "../tools.ts";
import { tcpvs } from "./main.test.ts";

const ROOT = join(import.meta.dir, "..", "..");
const COMMANDS = [
  "serve",
  "check",
  "vrrp",
  "status",
  "config",
  "init",
  "import",
  "version",
  "completion",
  "man",
  "help",
];

describe("--help", () => {
  test("the overview lists every command, and bare tcpvs is a usage error (exit 2, on stderr)", () => {
    const help = tcpvs("--help");
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.out).toMatch(new RegExp(`^  ${c} +\\S`, "m"));
    const bare = tcpvs();
    expect(bare.code).toBe(2);
    expect(bare.out).toBe("");
    expect(bare.err).toBe(help.out);
  });

  test("-v, -V and --version print the version", () => {
    for (const f of ["-v", "-V", "--version"]) expect(tcpvs(f).out).toMatch(/^tcpvs \d+\.\d+\.\d+ \(bun /);
  });

  test("each command: one Usage block, and every flag with a value has a description and an example", () => {
    for (const c of COMMANDS) {
      const r = tcpvs(c, "--help");
      expect({ c, code: r.code }).toEqual({ c, code: 0 });
      expect({ c, usages: r.out.match(/^Usage:/gim)?.length }).toEqual({ c, usages: 1 });
      expect(r.out).toContain("Example:\n  tcpvs ");
      const lines = r.out.split("\n");
      lines.forEach((l, i) => {
        const m = /^ {2}(?:-\w, | {4})--([\w-]+)( [A-Z]+)?/.exec(l);
        if (!m) return;
        const rest = l.slice(m[0].length).trim();
        expect({ c, flag: m[1], description: rest.length > 8 }).toEqual({ c, flag: m[1], description: true });
        expect({ c, flag: m[1], rest }).not.toMatchObject({ rest: expect.stringMatching(/^check key /) });
        if (m[2])
          expect({ c, flag: m[1], example: lines[i + 1]!.trim() }).toMatchObject({
            example: expect.stringMatching(new RegExp(`^e\\.g\\. --${m[1]} \\S`)),
          });
      });
    }
  });

  test("a mistake points at the subcommand's help; a mistyped action or flag gets a suggestion", () => {
    const flag = tcpvs("check", "tcp", "127.0.0.1:1", "--timout", "1s");
    expect(flag.code).toBe(3);
    expect(flag.err).toContain('did you mean "--timeout"?');
    expect(flag.err).toContain('Run "tcpvs check --help" for usage.');
    const type = tcpvs("check", "htp", "127.0.0.1:80");
    expect(type.code).toBe(3);
    expect(type.out).toContain('"htp" is not one; did you mean "http"?');
    // Flags use the config's key names: dns record_type is --record-type.
    const dns = tcpvs(
      "check",
      "dns",
      "127.0.0.1:1",
      "--name",
      "x.org",
      "--record-type",
      "A",
      "--timeout",
      "200ms",
    );
    expect(dns.out).toStartWith("TCPVS CHECK CRITICAL - dns 127.0.0.1:1:");
    const action = tcpvs("config", "chek");
    expect(action.code).toBe(2);
    expect(action.err).toContain('Run "tcpvs config --help"');
    const status = tcpvs("status", "drian", "app", "a", "--control", "unix:/nonexistent.sock");
    expect(status.code).toBe(2);
    expect(status.err).toContain('not "drian"; did you mean "drain"?');
    expect(status.err).toContain('Run "tcpvs status --help"');
    const missing = tcpvs("status", "--control");
    expect(missing.err).toContain("needs a value (ADDRESS), e.g. --control unix:/run/tcpvs/control.sock");
  });
});

describe("tcpvs.1", () => {
  test("docs/tcpvs.1 is what tcpvs man prints (run npm run man after changing a help text)", () => {
    const man = tcpvs("man");
    expect(man.code).toBe(0);
    expect(readFileSync(join(ROOT, "docs", "tcpvs.1"), "utf8")).toBe(man.out);
    // Every command and every flag of --help is in it.
    for (const c of COMMANDS) expect(man.out).toContain(`.SS "tcpvs ${c}"`);
    expect(man.out).toContain("\\-\\-expect\\-answer");
  });

  const skip = missingTools("the man page rendering test", "groff");
  test.skipIf(skip !== undefined)("groff renders it with every warning on and none given", () => {
    const r = Bun.spawnSync(["groff", "-man", "-Tutf8", "-ww", join(ROOT, "docs", "tcpvs.1")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    const text = r.stdout.toString().replace(/.\x08/g, "");
    expect(text).toContain("tcpvs check vrrp NAME [--expect master|backup]");
  });
});

describe("completion", () => {
  /** What bash's completion function offers for the words typed so far (the last one is being typed). */
  function complete(...typed: string[]): string[] {
    const script = tcpvs("completion", "bash").out;
    const words = ["tcpvs", ...typed].map((w) => `'${w}'`).join(" ");
    const probe = `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${typed.length}; _tcpvs; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = Bun.spawnSync(["bash", "-c", probe], { stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    return r.stdout.toString().split("\n").filter(Boolean).sort();
  }

  test("bash: commands, actions, check types, flags and their values", () => {
    expect(complete("st")).toEqual(["status"]);
    expect(complete("c")).toEqual(["check", "completion", "config"]);
    expect(complete("status", "dr")).toEqual(["drain"]);
    expect(complete("check", "ht")).toEqual(["http", "https"]);
    expect(complete("check", "http", "x", "--body")).toEqual(["--body-regex"]);
    expect(complete("status", "--log-level", "")).toEqual(["debug", "error", "info", "warn"]);
    expect(complete("completion", "")).toEqual(["bash", "zsh"]);
    // After the action, no second action is offered.
    expect(complete("status", "drain", "")).toEqual([]);
  });

  const skip = missingTools("the zsh completion test", "zsh");
  test.skipIf(skip !== undefined)("zsh: the script parses and defines _tcpvs", () => {
    const script = tcpvs("completion", "zsh").out;
    expect(script.startsWith("#compdef tcpvs\n")).toBe(true);
    const r = Bun.spawnSync(
      ["zsh", "-f", "-c", `${script.replace(/^_tcpvs "\$@"$/m, "")}\nwhence -w _tcpvs`],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString().trim()).toBe("_tcpvs: function");
  });

  test("an unknown shell is a usage error", () => {
    const r = tcpvs("completion", "fish");
    expect(r.code).toBe(2);
    expect(r.err).toContain('Name the shell: bash or zsh, not "fish"');
  });
});
