// Words of keepalived's configuration syntax, with the file, line and column of each. keepalived reads
// a file line by line: words are split on blanks, "{" and "}" are words of their own, a word starting
// with "!" or "#" starts a comment, and double quotes keep blanks (and comment characters) inside one
// word. A line starting with "@ID" applies only on the node started with that config id ("-i ID"),
// "@^ID" on every other node. "$NAME=VALUE" defines a parameter; later "$NAME " and "${NAME}" are
// replaced by its value (recursively; an undefined one stays as written).

import { TcpvsError } from "../errors/tcpvs-error.ts";

export interface Token {
  /** The word, without its quotes. */
  text: string;
  quoted: boolean;
  file: string;
  line: number;
  column: number;
}

/** One line's words; lines without words are left out. */
export interface Line {
  file: string;
  line: number;
  tokens: Token[];
}

/** A file that is not keepalived syntax, at FILE:LINE:COLUMN. */
export class KeepalivedSyntaxError extends TcpvsError {
  declare readonly code: "keepalived_syntax";
  readonly file: string;
  readonly line: number;
  readonly column: number;

  /** `whole` replaces the usual "Cannot parse FILE:LINE:COLUMN: message" (a file that cannot be read). */
  constructor(file: string, line: number, column: number, message: string, whole?: string) {
    super("keepalived_syntax", whole ?? `Cannot parse ${file}:${line}:${column}: ${message}`);
    this.name = "KeepalivedSyntaxError";
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

export interface LexResult {
  lines: Line[];
  /** Lines left out because their "@ID" names another config id. */
  skipped: number;
}

/** Apply a line's "@ID" / "@^ID" prefix: the text to read, or undefined to skip the line. */
function conditional(text: string, configId: string): { rest: string; offset: number } | undefined {
  const m = /^(\s*)@(\^?)(\S*)/.exec(text);
  if (!m) return { rest: text, offset: 0 };
  const matches = m[3] === configId;
  if ((m[2] === "^") === matches) return undefined;
  return { rest: text.slice(m[0].length), offset: m[0].length };
}

const DEFINE = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
const MAX_SUBSTITUTIONS = 32;

/** Replace defined parameters, as keepalived does at the point of use. */
function substitute(text: string, params: Map<string, string>): string {
  let out = text;
  for (let n = 0; n < MAX_SUBSTITUTIONS; n++) {
    const next = out.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/g,
      (m, a, b) => params.get(a ?? b) ?? m,
    );
    if (next === out) return out;
    out = next;
  }
  return out;
}

/** Split one file's text into lines of words; `params` carries "$NAME=VALUE" across included files. */
export function lexKeepalived(
  text: string,
  file: string,
  configId: string,
  params: Map<string, string> = new Map(),
): LexResult {
  const out: Line[] = [];
  let skipped = 0;
  const rows = text.split("\n");
  for (let n = 0; n < rows.length; n++) {
    const row = rows[n]!.replace(/\r$/, "");
    const cond = conditional(row, configId);
    if (!cond) {
      skipped++;
      continue;
    }
    const def = DEFINE.exec(cond.rest);
    if (def) {
      if (def[2]!.trimEnd().endsWith("\\")) {
        throw new KeepalivedSyntaxError(
          file,
          n + 1,
          cond.offset + cond.rest.indexOf("$") + 1,
          `multi-line parameter $${def[1]} is not supported by the importer: write its lines out where it is used`,
        );
      }
      params.set(def[1]!, def[2]!.trim());
      continue;
    }
    const tokens = lexLine(substitute(cond.rest, params), cond.offset, file, n + 1);
    if (tokens.length > 0) out.push({ file, line: n + 1, tokens });
  }
  return { lines: out, skipped };
}

function lexLine(s: string, offset: number, file: string, line: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const at = (col: number) => ({ file, line, column: offset + col + 1 });
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\v" || c === "\f") {
      i++;
      continue;
    }
    if (c === "!" || c === "#") break;
    if (c === "{" || c === "}") {
      tokens.push({ text: c, quoted: false, ...at(i) });
      i++;
      continue;
    }
    if (c === '"') {
      const start = i;
      let word = "";
      i++;
      for (;;) {
        if (i >= s.length) {
          throw new KeepalivedSyntaxError(
            file,
            line,
            offset + start + 1,
            'unterminated quoted string: add the closing " on the same line',
          );
        }
        const ch = s[i]!;
        if (ch === "\\" && (s[i + 1] === '"' || s[i + 1] === "\\")) {
          word += s[i + 1];
          i += 2;
          continue;
        }
        if (ch === '"') {
          i++;
          break;
        }
        word += ch;
        i++;
      }
      tokens.push({ text: word, quoted: true, ...at(start) });
      continue;
    }
    const start = i;
    while (i < s.length && !/[\s{}"]/.test(s[i]!)) i++;
    tokens.push({ text: s.slice(start, i), quoted: false, ...at(start) });
  }
  return tokens;
}
