// Read a config file: TOML syntax first (with the file's own line and column and a source frame), then
// the schema, reporting every problem at once as FILE:LINE:COLUMN: key.path: message.

import { existsSync, readFileSync } from "node:fs";
import toml from "toml";
import { Fields } from "./fields.ts";
import { indexPositions, locate } from "./positions.ts";
import { readConfig } from "./schema.ts";
import { readTlsFiles } from "./tls-schema.ts";
import type { TcpvsConfig } from "./types.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

/** A config that cannot be used. `problems` holds every one found; `message` is ready to print. */
export class ConfigError extends TcpvsError {
  declare readonly code: "config_not_found" | "config_syntax" | "config_invalid";
  readonly problems: ConfigProblem[];

  constructor(code: ConfigError["code"], message: string, problems: ConfigProblem[] = []) {
    super(code, message);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
}

/** Two lines of context and a caret under the column, like a compiler. */
function frame(src: string, line: number, column: number): string {
  const lines = src.split("\n");
  const out: string[] = [];
  for (let n = Math.max(1, line - 1); n <= line; n++) {
    out.push(`${String(n).padStart(4)} | ${lines[n - 1] ?? ""}`);
  }
  out.push(`${" ".repeat(4)} | ${" ".repeat(Math.max(0, column - 1))}^`);
  return out.join("\n");
}

interface PegError {
  message: string;
  location?: { start: { line: number; column: number } };
}

/**
 * Parse and validate config text; `file` only names it in messages. The certificate files it names are
 * read too; `warnings` (when given) gets what is usable but due for attention (a certificate expiring).
 */
export function parseConfig(text: string, file: string, warnings?: ConfigProblem[]): TcpvsConfig {
  let raw: Record<string, unknown>;
  try {
    raw = toml.parse(text);
  } catch (e) {
    // Under Bun the error's own line/column point into the parser; `location.start` is the file's.
    const start = (e as PegError).location?.start ?? { line: 1, column: 1 };
    const problem = {
      file,
      line: start.line,
      column: start.column,
      path: "",
      message: `syntax error: ${(e as PegError).message}`,
    };
    throw new ConfigError(
      "config_syntax",
      `Cannot parse ${formatProblem(problem)}\n${frame(text, start.line, start.column)}`,
      [problem],
    );
  }
  const f = new Fields();
  const config = readConfig(f, raw, file);
  const tlsWarnings = readTlsFiles(f, config);
  if (warnings && tlsWarnings.length > 0) {
    const index = indexPositions(text);
    for (const w of tlsWarnings)
      warnings.push({ file, ...locate(index, w.path), path: w.path, message: w.message });
  }
  if (f.issues.length > 0) {
    const index = indexPositions(text);
    const problems = f.issues
      .map((i) => ({ file, ...locate(index, i.path), path: i.path, message: i.message }))
      .sort((a, b) => a.line - b.line || a.column - b.column);
    const noun = problems.length === 1 ? "problem" : "problems";
    throw new ConfigError(
      "config_invalid",
      `Cannot use ${file}: ${problems.length} ${noun}\n${problems.map(formatProblem).join("\n")}`,
      problems,
    );
  }
  return config;
}

export const DEFAULT_CONFIG_PATHS = ["./tcpvs.toml", "/etc/tcpvs/tcpvs.toml"];

/** The config file to use: the one named, else the first default that exists. */
export function findConfig(explicit?: string): string {
  if (explicit) return explicit;
  const found = DEFAULT_CONFIG_PATHS.find((p) => existsSync(p));
  if (!found) {
    throw new ConfigError(
      "config_not_found",
      `Cannot find a config file: tried ${DEFAULT_CONFIG_PATHS.join(", ")}; name one with -c FILE`,
    );
  }
  return found;
}

export function loadConfig(file: string): {
  config: TcpvsConfig;
  text: string;
  hash: string;
  warnings: ConfigProblem[];
} {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === "ENOENT" ? "no such file" : err.code === "EACCES" ? "permission denied" : err.message;
    throw new ConfigError("config_not_found", `Cannot read config "${file}": ${why}`);
  }
  const warnings: ConfigProblem[] = [];
  const config = parseConfig(text, file, warnings);
  const hash = new Bun.CryptoHasher("sha256").update(text).digest("hex");
  return { config, text, hash, warnings };
}
