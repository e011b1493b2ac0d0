// Write the pair of files, refusing to clobber unless asked, and proving first that `serve` would take
// each: the text goes through the same parser and validator (parseConfig) before anything reaches a disk.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError, formatProblem, parseConfig } from "../config/load.ts";
import { type InitAnswers, InitError } from "./init-answers.ts";
import { renderPair } from "./render-config.ts";

export async function writeConfigs(a: InitAnswers): Promise<{ self: string; peer: string }> {
  const files = { self: resolve(a.out), peer: resolve(a.peerOut) };
  if (!a.force) {
    for (const f of [files.self, files.peer]) {
      if (existsSync(f)) throw new InitError("file_exists", `Remove "${f}" or pass --force: it exists`);
    }
  }
  const text = renderPair(a);
  for (const [key, file] of Object.entries(files) as Array<["self" | "peer", string]>) {
    try {
      parseConfig(text[key], file);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const problems = e.problems.map((p) => `  ${formatProblem(p)}`).join("\n");
      throw new InitError(
        "config_invalid",
        `Cannot write "${file}": serve would refuse it, nothing was written\n${problems}\nChange the answers these name and run init again`,
      );
    }
  }
  for (const [key, file] of Object.entries(files) as Array<["self" | "peer", string]>) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text[key], { mode: 0o644 });
    } catch (e) {
      throw new InitError("write_failed", `Cannot write "${file}": ${(e as Error).message}`);
    }
  }
  return files;
}
