// keepalived's configuration as a tree: each line is a statement (a keyword and its words), and a "{"
// on that line or at the start of the next opens its block. "include PATTERN" is replaced by the
// statements of every file the pattern names (globs allowed, relative to the including file), as
// keepalived reads them. File reading is injected, so the parser stays pure.

import { dirname, isAbsolute, join } from "node:path";
import { KeepalivedSyntaxError, type Line, lexKeepalived, type Token } from "./keepalived-lexer.ts";

export interface KNode {
  keyword: string;
  args: string[];
  /** Where each word is written: [0] is the keyword. */
  at: Token[];
  file: string;
  line: number;
  column: number;
  /** Present when the statement has a block (possibly empty). */
  children?: KNode[];
}

export interface ParserIo {
  read(path: string): string;
  /** Paths matching a glob pattern (absolute pattern), sorted. */
  glob(pattern: string): string[];
}

export interface ParseResult {
  nodes: KNode[];
  /** Every file read, in order. */
  files: string[];
  /** Lines left out for another config id ("@ID"). */
  skipped: number;
}

const MAX_INCLUDE_DEPTH = 16;

interface Cursor {
  lines: Line[];
  row: number;
  /** Index of the next token on lines[row]. */
  col: number;
}

function peek(c: Cursor): Token | undefined {
  return c.lines[c.row]?.tokens[c.col];
}

function next(c: Cursor): Token | undefined {
  const t = peek(c);
  if (!t) return undefined;
  c.col++;
  if (c.col >= c.lines[c.row]!.tokens.length) {
    c.row++;
    c.col = 0;
  }
  return t;
}

const isBrace = (t: Token | undefined, b: string) => t !== undefined && !t.quoted && t.text === b;

export class KeepalivedParser {
  readonly files: string[] = [];
  skipped = 0;
  private readonly params = new Map<string, string>();

  constructor(
    private readonly io: ParserIo,
    private readonly configId: string,
  ) {}

  parseFile(path: string, depth = 0, from?: Token): KNode[] {
    let text: string;
    try {
      text = this.io.read(path);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
      if (from)
        throw new KeepalivedSyntaxError(from.file, from.line, from.column, `cannot read "${path}": ${why}`);
      throw new KeepalivedSyntaxError(path, 1, 1, why, `Cannot read "${path}": ${why}`);
    }
    this.files.push(path);
    const lexed = lexKeepalived(text, path, this.configId, this.params);
    this.skipped += lexed.skipped;
    const c: Cursor = { lines: lexed.lines, row: 0, col: 0 };
    const nodes = this.block(c, depth, undefined);
    return nodes;
  }

  /** Statements until the matching "}" (or the end of the file when `open` is undefined). */
  private block(c: Cursor, depth: number, open: Token | undefined): KNode[] {
    const out: KNode[] = [];
    for (;;) {
      const t = peek(c);
      if (!t) {
        if (open)
          throw new KeepalivedSyntaxError(
            open.file,
            open.line,
            open.column,
            'this "{" is never closed: add the missing "}"',
          );
        return out;
      }
      if (isBrace(t, "}")) {
        next(c);
        if (!open)
          throw new KeepalivedSyntaxError(t.file, t.line, t.column, 'unexpected "}": no block is open');
        return out;
      }
      if (isBrace(t, "{"))
        throw new KeepalivedSyntaxError(
          t.file,
          t.line,
          t.column,
          'unexpected "{": a block needs a keyword before it',
        );
      out.push(...this.statement(c, depth));
    }
  }

  private statement(c: Cursor, depth: number): KNode[] {
    const row = c.row;
    const words: Token[] = [];
    while (c.row === row) {
      const t = peek(c);
      if (!t || isBrace(t, "{") || isBrace(t, "}")) break;
      words.push(next(c)!);
    }
    const head = words[0]!;
    if (head.text === "include" && !head.quoted) return this.include(words, depth);
    const node: KNode = {
      keyword: head.text,
      args: words.slice(1).map((w) => w.text),
      at: words,
      file: head.file,
      line: head.line,
      column: head.column,
    };
    // "{" on the same line, or first on the next line, opens this statement's block.
    const t = peek(c);
    if (isBrace(t, "{") && (c.row === row || c.col === 0)) {
      next(c);
      node.children = this.block(c, depth, t);
    }
    return [node];
  }

  private include(words: Token[], depth: number): KNode[] {
    const head = words[0]!;
    if (words.length !== 2)
      throw new KeepalivedSyntaxError(
        head.file,
        head.line,
        head.column,
        'expected "include PATH" (one path or glob)',
      );
    if (depth >= MAX_INCLUDE_DEPTH)
      throw new KeepalivedSyntaxError(
        head.file,
        head.line,
        head.column,
        `includes nest deeper than ${MAX_INCLUDE_DEPTH} files: is a file including itself?`,
      );
    const arg = words[1]!;
    const pattern = isAbsolute(arg.text) ? arg.text : join(dirname(head.file), arg.text);
    const paths = /[*?[]/.test(pattern) ? this.io.glob(pattern) : [pattern];
    return paths.flatMap((p) => this.parseFile(p, depth + 1, arg));
  }
}

/** Parse a keepalived.conf and everything it includes. Throws KeepalivedSyntaxError. */
export function parseKeepalived(path: string, io: ParserIo, configId: string): ParseResult {
  const p = new KeepalivedParser(io, configId);
  const nodes = p.parseFile(path);
  return { nodes, files: p.files, skipped: p.skipped };
}

/** Every statement of a tree, depth first. */
export function walk(
  nodes: KNode[],
  visit: (n: KNode, parent: KNode | undefined) => void,
  parent?: KNode,
): void {
  for (const n of nodes) {
    visit(n, parent);
    if (n.children) walk(n.children, visit, n);
  }
}
