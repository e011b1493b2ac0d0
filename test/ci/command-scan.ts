// Finds the external commands a test or bench file spawns, by reading its source: the first word of an
// argv array handed to a spawn-like call, and the commands of a shell string (`sh -c "…"`, lab.sh(i, "…"),
// Bun.$`…`). Heuristic by design: it reads literals, so a command held only in a variable is not seen,
// but every way the tests spawn today is covered, and test/ci/commands.test.ts checks the scanner itself.

export interface Spawned {
  cmd: string;
  line: number;
}

const SPAWN_ARRAY =
  /(?:\b(?:spawn|spawnSync|spawnLines|execFileSync|execFile)|\b(?:lab|this)\.run)\s*\(\s*(?:[^()[\]]*?,\s*)?\[\s*(["'`])([^"'`]*)\1/g;
const SHELL_STRING = [
  /["'](?:\/bin\/)?(?:sh|bash)["']\s*,\s*["']-c["']\s*,\s*(`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/g,
  /\.sh\(\s*[^,()]+,\s*(`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/g,
  /(?:Bun\.|(?<=[\s=(,]))\$(`(?:[^`\\]|\\.)*`)/g,
];
/** Words that may start a shell command but are the shell's own. */
const SHELL_WORDS = new Set([
  "exec",
  "command",
  "then",
  "do",
  "if",
  "while",
  "for",
  "!",
  "{",
  "(",
  "set",
  "cd",
]);

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function commandWord(word: string): string | undefined {
  const w = word;
  if (!w || w.includes("${") || w.includes("\u0000") || w.startsWith("-") || w.includes("="))
    return undefined;
  const base = w.slice(w.lastIndexOf("/") + 1);
  return /^[A-Za-z][\w.+-]*$/.test(base) ? base : undefined;
}

/** The commands a shell string runs: the first word of each pipeline stage and list element. */
export function shellCommands(script: string): string[] {
  const out: string[] = [];
  const body = script.replace(/\$\{[^}]*\}/g, "\u0000");
  for (const part of body.split(/&&|\|\||[;|\n]|\$\(/)) {
    const words = part.trim().split(/\s+/);
    let i = 0;
    while (i < words.length && (SHELL_WORDS.has(words[i]!) || /^\w+=/.test(words[i]!))) i++;
    const c = words[i] && commandWord(words[i]!);
    if (c) out.push(c);
  }
  return out;
}

export function spawnedCommands(text: string): Spawned[] {
  const out: Spawned[] = [];
  for (const m of text.matchAll(SPAWN_ARRAY)) {
    const c = commandWord(m[2]!);
    if (c && c !== "sh" && c !== "bash") out.push({ cmd: c, line: lineOf(text, m.index) });
  }
  for (const re of SHELL_STRING) {
    for (const m of text.matchAll(re)) {
      const line = lineOf(text, m.index);
      for (const c of shellCommands(m[1]!.slice(1, -1))) out.push({ cmd: c, line });
    }
  }
  return out;
}

/**
 * Commands the file checks for before using them, or names in a skip message: it can skip, saying why.
 */
export function guardedCommands(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\b(?:haveTool|Bun\.which|which)\(\s*["'`]([\w.+-]+)["'`]/g)) out.add(m[1]!);
  for (const m of text.matchAll(/\bexistsSync\(\s*["'`][^"'`]*\/([\w.+-]+)["'`]/g)) out.add(m[1]!);
  for (const m of text.matchAll(/["'`]([^"'`\n]*\bskip[^"'`\n]*)["'`]/gi)) {
    for (const w of m[1]!.matchAll(/[\w.+-]+/g)) out.add(w[0]);
  }
  // missingTools("suite label", "cmd", …): the commands follow the label.
  for (const m of text.matchAll(
    /\bmissingTools\(\s*(["'`])(?:(?!\1)[^\\]|\\.)*\1((?:\s*,\s*["'`][\w.+-]+["'`])+)/g,
  )) {
    for (const s of m[2]!.matchAll(/["'`]([\w.+-]+)["'`]/g)) out.add(s[1]!);
  }
  return out;
}

/** A file whose tests all skip unless run as root: as root, `npm test` installs every listed peer first. */
export function rootGated(text: string): boolean {
  return /\bisRoot\b|\bROOT\b/.test(text) && /skip(?:If|ping)?/i.test(text);
}
