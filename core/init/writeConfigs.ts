// Write the pair of files, refusing to clobber unless asked, and proving first that each parses.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type InitAnswers, InitError } from "./InitAnswers.ts";
import { renderPair } from "./renderConfig.ts";

export async function writeConfigs(a: InitAnswers): Promise<{ self: string; peer: string }> {
  const files = { self: resolve(a.out), peer: resolve(a.peerOut) };
  if (!a.force) {
    for (const f of [files.self, files.peer]) {
      if (existsSync(f)) throw new InitError("file_exists", `Remove "${f}" or pass --force: it exists`);
    }
  }
  const text = renderPair(a);
  const toml = (await import("toml")).default;
  for (const t of [text.self, text.peer]) toml.parse(t); // a bug here must not reach a disk
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
