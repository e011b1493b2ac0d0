// Where each key of a TOML file is written. The `toml` package returns plain values without source
// positions, yet every validation message must name FILE:LINE:COLUMN; this scanner walks the same text
// once and records the position of every key, table header and array element under the path the
// validator uses ("pool.app.server[0].weight", "virtual_server[1].listen[0]").
//
// It only has to agree with a document the real parser already accepted, so it tracks what changes the
// meaning of a line (strings, brackets, headers) and nothing more.

export interface Position {
  line: number;
  column: number;
}

type Scan = { src: string; i: number; line: number; lineStart: number };

function pos(s: Scan): Position {
  return { line: s.line, column: s.i - s.lineStart + 1 };
}

function advance(s: Scan): void {
  if (s.src.charCodeAt(s.i) === 10) {
    s.line++;
    s.lineStart = s.i + 1;
  }
  s.i++;
}

function skipSpace(s: Scan, newlines: boolean): void {
  for (;;) {
    const c = s.src[s.i];
    if (c === " " || c === "\t" || c === "\r" || (newlines && c === "\n")) advance(s);
    else if (c === "#") while (s.i < s.src.length && s.src[s.i] !== "\n") advance(s);
    else return;
  }
}

/** Read a string literal (basic, literal, or their multi-line forms) starting at the quote. */
function readString(s: Scan): string {
  const q = s.src[s.i]!;
  const multi = s.src.startsWith(q.repeat(3), s.i);
  const close = multi ? q.repeat(3) : q;
  for (let n = 0; n < close.length; n++) advance(s);
  let out = "";
  while (s.i < s.src.length) {
    if (s.src.startsWith(close, s.i)) {
      // A multi-line string may end with up to two extra quotes before the closing three.
      let extra = 0;
      while (multi && extra < 2 && s.src.startsWith(close + q, s.i)) {
        out += q;
        advance(s);
        extra++;
      }
      for (let n = 0; n < close.length; n++) advance(s);
      return out;
    }
    const c = s.src[s.i]!;
    if (c === "\\" && q === '"') {
      out += c + (s.src[s.i + 1] ?? "");
      advance(s);
      advance(s);
      continue;
    }
    out += c;
    advance(s);
  }
  return out;
}

/** Read a possibly dotted key ("a", "a.b", "'x y'.z"); returns its parts. */
function readKey(s: Scan): string[] {
  const parts: string[] = [];
  for (;;) {
    skipSpace(s, false);
    const c = s.src[s.i];
    if (c === '"' || c === "'") parts.push(readString(s));
    else {
      const start = s.i;
      while (s.i < s.src.length && /[A-Za-z0-9_-]/.test(s.src[s.i]!)) advance(s);
      parts.push(s.src.slice(start, s.i));
    }
    skipSpace(s, false);
    if (s.src[s.i] !== ".") return parts;
    advance(s);
  }
}

function join(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

/** Skip or index one value; arrays and inline tables record their elements' positions. */
function readValue(s: Scan, path: string, out: Map<string, Position>): void {
  skipSpace(s, false);
  const c = s.src[s.i];
  if (c === '"' || c === "'") {
    readString(s);
  } else if (c === "[") {
    advance(s);
    for (let idx = 0; ; idx++) {
      skipSpace(s, true);
      if (s.src[s.i] === "]" || s.i >= s.src.length) break;
      out.set(`${path}[${idx}]`, pos(s));
      readValue(s, `${path}[${idx}]`, out);
      skipSpace(s, true);
      if (s.src[s.i] === ",") advance(s);
    }
    advance(s);
  } else if (c === "{") {
    advance(s);
    for (;;) {
      skipSpace(s, false);
      if (s.src[s.i] === "}" || s.i >= s.src.length) break;
      const at = pos(s);
      const key = readKey(s).reduce(join, path);
      out.set(key, at);
      advance(s); // '='
      readValue(s, key, out);
      skipSpace(s, false);
      if (s.src[s.i] === ",") advance(s);
    }
    advance(s);
  } else {
    while (s.i < s.src.length && !/[,\]}\n#]/.test(s.src[s.i]!)) advance(s);
  }
}

/** Map every key path of an already-valid TOML document to where it is written. */
export function indexPositions(src: string): Map<string, Position> {
  const out = new Map<string, Position>();
  const arrays = new Map<string, number>(); // array-of-tables path -> last index
  const s: Scan = { src, i: 0, line: 1, lineStart: 0 };
  let table = "";

  // Resolve header parts to a path, stepping into the last element of every array of tables.
  const resolve = (parts: string[]): string => {
    let path = "";
    for (const p of parts) {
      path = join(path, p);
      const n = arrays.get(path);
      if (n !== undefined) path = `${path}[${n}]`;
    }
    return path;
  };

  while (s.i < src.length) {
    skipSpace(s, true);
    if (s.i >= src.length) break;
    const at = pos(s);
    if (src[s.i] === "[") {
      const isArray = src[s.i + 1] === "[";
      advance(s);
      if (isArray) advance(s);
      const parts = readKey(s);
      while (s.i < src.length && src[s.i] !== "\n") advance(s);
      if (isArray) {
        const base = resolve(parts.slice(0, -1));
        const arr = join(base, parts[parts.length - 1]!);
        const n = (arrays.get(arr) ?? -1) + 1;
        arrays.set(arr, n);
        if (!out.has(arr)) out.set(arr, at);
        table = `${arr}[${n}]`;
      } else {
        table = resolve(parts);
      }
      out.set(table, at);
      continue;
    }
    const key = readKey(s).reduce(join, table);
    out.set(key, at);
    advance(s); // '='
    readValue(s, key, out);
  }
  return out;
}

/** The position of `path`, or of its nearest written ancestor (for a missing key, its table). */
export function locate(index: Map<string, Position>, path: string): Position {
  let p = path;
  for (;;) {
    const hit = index.get(p);
    if (hit) return hit;
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    if (cut <= 0) return { line: 1, column: 1 };
    p = p.slice(0, cut);
  }
}
