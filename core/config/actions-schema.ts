// The keys of a rule's action (redirect, deny, return) and of the header and path modifiers a rule or
// a whole virtual server may carry, plus the virtual server's error pages and rate limits. Read here
// once; virtual-server-schema.ts spreads them into its tables.

import { readFileSync } from "node:fs";
import { type Fields, isTable, join } from "./fields.ts";
import { readSection, section, writeSection } from "./schema-kit.ts";
import { k } from "./schema-keys.ts";
import { describe, parseDuration } from "./values.ts";

/** Fields a modifier may neither set nor delete: hop-by-hop ones and the message's framing. */
export const UNTOUCHABLE = new Set([
  "content-length",
  "transfer-encoding",
  "host",
  "connection",
  "upgrade",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "proxy-authenticate",
  "proxy-authorization",
]);

const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
// A field value: visible characters, spaces and tabs; no CR, LF or NUL.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function checkName(f: Fields, name: string, p: string): boolean {
  if (!TOKEN.test(name)) {
    f.error(p, `invalid header name "${name}": use a token such as "X-Api"`);
    return false;
  }
  if (UNTOUCHABLE.has(name.toLowerCase())) {
    f.error(p, `header "${name}" frames the message or is hop-by-hop: it cannot be set or deleted`);
    return false;
  }
  return true;
}

/** `{ "Name" = "value", … }`: the fields to set (replacing any of the same name), in file order. */
function readSetHeaders(f: Fields, v: unknown, p: string): Array<[string, string]> {
  if (!isTable(v)) {
    f.error(p, `expected a table of header names and values such as { "X-Api" = "1" }, got ${describe(v)}`);
    return [];
  }
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(v)) {
    const at = join(p, name);
    if (!checkName(f, name, at)) continue;
    if (typeof value !== "string" || !FIELD_VALUE.test(value)) {
      f.error(at, `expected a header value string without CR or LF, got ${describe(value)}`);
      continue;
    }
    out.push([name, value]);
  }
  return out;
}

function readDelHeaders(f: Fields, v: unknown, p: string): string[] {
  const list = f.strings({ d: v }, "d", "");
  return list.flatMap((name, i) => (checkName(f, name, join(p, i)) ? [name.toLowerCase()] : []));
}

const headerKeys = (where: string) => ({
  set_header: k.custom({
    doc: `request headers to set (replace) ${where}: \`{ "X-Api" = "1" }\``,
    type: "table",
    read: readSetHeaders,
    write: (pairs: Array<[string, string]>) => Object.fromEntries(pairs),
  }),
  del_header: k.custom({ doc: `request headers to delete ${where}`, type: "array", read: readDelHeaders }),
  set_response_header: k.custom({
    doc: `response headers to set (replace) ${where}, on server responses`,
    type: "table",
    read: readSetHeaders,
    write: (pairs: Array<[string, string]>) => Object.fromEntries(pairs),
  }),
  del_response_header: k.custom({
    doc: `response headers to delete ${where}`,
    type: "array",
    read: readDelHeaders,
  }),
});

/** Framing and hop-by-hop fields (Host, Content-Length, Connection …) are refused at their line. */
export const ruleHeaderKeys = headerKeys("when the rule matches (after the virtual server's own)");
export const vsHeaderKeys = headerKeys("on every request of the virtual server");

const rewriteSection = section("virtual_server.rule.rewrite_path", {
  regex: k.regex({ doc: "matched against the path (without the query)" }),
  replace: k.string({ doc: "the new path; `$1`, `$<name>` name capture groups", required: true }),
});

const returnSection = section("virtual_server.rule.return", {
  status: k.int({ doc: "the status", required: true, min: 200, max: 599 }),
  body: k.string({ doc: "the body", def: "" }),
  content_type: k.string({ doc: "its Content-Type", def: "text/plain" }),
});

const REDIRECT_STATUS = [301, 302, 303, 307, 308];

export const ruleActionKeys = {
  redirect: k.string({
    doc: "answer with a redirect to this URL; placeholders `{host}` `{path}` `{query}` (without its `?`) `{uri}` (path and query, as the client sent them)",
  }),
  redirect_status: k.custom({
    doc: "the redirect's status: 301, 302, 303, 307 or 308",
    type: "int",
    defaultText: "`302`",
    read: (f, v, p): number => {
      if (typeof v === "number" && REDIRECT_STATUS.includes(v)) return v;
      f.error(p, `invalid redirect_status ${describe(v)}: use 301, 302, 303, 307 or 308`);
      return 302;
    },
  }),
  deny: k.int({ doc: "refuse with this status (body from `error_pages` if set)", min: 400, max: 599 }),
  return: k.custom({
    doc: 'answer without a server: `{ status = 200, body = "pong\\n", content_type = "text/plain" }`',
    type: "table",
    read: (f, v, p) => readSection(f, returnSection, v, p),
    write: (v: unknown) => writeSection(returnSection, v),
  }),
  rewrite_path: k.custom({
    write: (v: unknown) => writeSection(rewriteSection, v),
    doc: 'the path as the server gets it: `{ regex = "^/api(/.*)$", replace = "$1" }` (the query is kept)',
    type: "table",
    read: (f, v, p) => {
      const r = readSection(f, rewriteSection, v, p);
      if (r.regex === undefined && isTable(v) && v.regex === undefined)
        f.error(join(p, "regex"), 'missing required key "regex"');
      return r as { regex: string; replace: string };
    },
  }),
};

/** The rule's actions; exactly one of them is written. */
export const ACTIONS = ["pool", "redirect", "deny", "return"] as const;

/** `{ 503 = "/etc/tcpvs/503.html" }`: read now (at load and at each reload); a missing file is an error. */
function readErrorPages(f: Fields, v: unknown, p: string): Record<number, { file: string; body: string }> {
  if (!isTable(v)) {
    f.error(
      p,
      `expected a table of statuses and files such as { 503 = "/etc/tcpvs/503.html" }, got ${describe(v)}`,
    );
    return {};
  }
  const out: Record<number, { file: string; body: string }> = {};
  for (const [code, file] of Object.entries(v)) {
    const at = join(p, code);
    const status = Number(code);
    if (!/^\d{3}$/.test(code) || status < 400 || status > 599) {
      f.error(at, `invalid status "${code}": use one from 400 to 599`);
      continue;
    }
    if (typeof file !== "string") {
      f.error(at, `expected a file path, got ${describe(file)}`);
      continue;
    }
    try {
      out[status] = { file, body: readFileSync(file, "latin1") };
    } catch (e) {
      f.error(
        at,
        `cannot read error page "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  return out;
}

export const errorPagesKey = k.custom({
  doc: 'bodies of the answers tcpvs makes itself, by status: `{ 503 = "/etc/tcpvs/503.html" }`; read at load and reload, a missing file is an error',
  type: "table",
  def: () => ({}),
  defaultText: "`{}`",
  read: readErrorPages,
  write: (pages: Record<number, { file: string }>) =>
    Object.fromEntries(Object.entries(pages).map(([s, pg]) => [s, pg.file])),
});

/** "20/10s" -> 20 per 10000 ms; "5/s" reads as 5 per second. */
export function parseRate(
  text: unknown,
): { ok: true; value: { count: number; ms: number } } | { ok: false; error: string } {
  if (typeof text !== "string")
    return { ok: false, error: `expected a rate such as "20/10s", got ${describe(text)}` };
  const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (!m) return { ok: false, error: `invalid rate "${text}": write requests/period, e.g. "20/10s"` };
  const count = Number(m[1]);
  const d = parseDuration(/^\d/.test(m[2]!) ? m[2]! : `1${m[2]}`);
  if (!d.ok || d.value <= 0 || count < 1)
    return { ok: false, error: `invalid rate "${text}": write requests/period, e.g. "20/10s"` };
  return { ok: true, value: { count, ms: d.value } };
}

export const limitKeys = {
  key: k.custom({
    doc: 'what a counter counts by: `"source"` (the client address), `"header:NAME"`, `"cookie:NAME"`; a request without the header or cookie is not limited',
    type: "string",
    def: "source",
    read: (f, v, p): string => {
      if (
        v === "source" ||
        (typeof v === "string" && /^(header|cookie):[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(v))
      )
        return v;
      f.error(p, `invalid limit key ${describe(v)}: use "source", "header:NAME" or "cookie:NAME"`);
      return "source";
    },
  }),
  rate: k.custom({
    doc: 'requests per period per key: `"20/10s"`',
    type: "rate",
    required: true,
    def: { count: 1, ms: 1000 },
    read: (f, v, p): { count: number; ms: number } => {
      const r = parseRate(v);
      if (r.ok) return r.value;
      f.error(p, r.error);
      return { count: 1, ms: 1000 };
    },
    write: (r: { count: number; ms: number }) => `${r.count}/${r.ms}ms`,
  }),
  burst: k.int({ doc: "requests allowed at once above the rate's even spacing", def: 0, min: 0 }),
  max_keys: k.int({
    doc: "counters kept; the least recently used is dropped past this. One process: about 110 bytes each with an IPv4 key (100 000 keys: 11 MB, measured). Workers: a shared table of 24 bytes per entry, the power of two ≥ 2 × max_keys entries, allocated at start (100 000 keys: 6 MiB)",
    def: 100_000,
    min: 1,
  }),
};
