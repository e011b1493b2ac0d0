// What a matched rule does, compiled once: forward to a pool (with its path and header modifiers),
// or answer without a server (redirect, deny, return). The virtual server's own header modifiers are
// merged into every action here, so a request pays for one list, not two. The answers tcpvs makes
// itself (these, the limits' 429, the 5xx and 4xx of the switch) take their body from error_pages.

import type { RuleConfig, VirtualServerConfig } from "../config/types.ts";
import type { RequestHead } from "../http/head.ts";
import { errorResponse } from "./rewrite.ts";
import type { RouteInput } from "./rules.ts";
import type { VsRuntime } from "./runtime.ts";

export const A_POOL = 0;
export const A_REDIRECT = 1;
export const A_DENY = 2;
export const A_RETURN = 3;

/** Response fields to drop (deleted ones and those being set) and the set ones, ready to append. */
export interface ResponseEdits {
  readonly drop: ReadonlySet<string>;
  readonly add: string;
  /** `add` and the head's final CRLF, as bytes: appended to a head passed through as it came. */
  readonly tail: Uint8Array;
}

export interface Action {
  readonly kind: number;
  /** The rule's number in file order (1-based); 0 for the default pool. */
  readonly index: number;
  /** The pool (A_POOL), else "". */
  readonly pool: string;
  readonly status: number;
  /** A redirect's location: literal parts and placeholder numbers (P_HOST …). */
  readonly location: ReadonlyArray<string | number> | undefined;
  readonly body: string;
  readonly contentType: string;
  readonly rewrite: { readonly re: RegExp; readonly replace: string } | undefined;
  /** Request fields to drop (deleted and set), and the set ones (lower-case name, value). */
  readonly reqDrop: ReadonlySet<string> | undefined;
  readonly reqAdd: ReadonlyArray<readonly [string, string]> | undefined;
  readonly res: ResponseEdits | undefined;
}

type Modifiers = Partial<
  Pick<VirtualServerConfig, "set_header" | "del_header" | "set_response_header" | "del_response_header">
>;

const P_HOST = 0;
const P_PATH = 1;
const P_QUERY = 2;
const P_URI = 3;
const PLACEHOLDERS: Record<string, number> = { host: P_HOST, path: P_PATH, query: P_QUERY, uri: P_URI };

/** "https://{host}{uri}" as ["https://", P_HOST, P_URI]; an unknown {word} stays literal. */
function compileLocation(text: string): Array<string | number> {
  const out: Array<string | number> = [];
  let lit = "";
  const re = /\{(host|path|query|uri)\}/g;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    lit += text.slice(at, m.index);
    if (lit) out.push(lit);
    lit = "";
    out.push(PLACEHOLDERS[m[1]!]!);
    at = m.index + m[0].length;
  }
  lit += text.slice(at);
  if (lit) out.push(lit);
  return out;
}

/** The vs's edits then the rule's: a rule's set or delete of a name wins over the vs's. */
function mergeEdits(
  vsSet: ReadonlyArray<[string, string]> | undefined,
  vsDel: readonly string[] | undefined,
  set: ReadonlyArray<[string, string]> | undefined,
  del: readonly string[] | undefined,
): { drop: Set<string>; add: Array<[string, string]> } | undefined {
  if (!vsSet?.length && !vsDel?.length && !set?.length && !del?.length) return undefined;
  const add = new Map<string, string>();
  const drop = new Set<string>();
  for (const [list, dels] of [
    [vsSet, vsDel],
    [set, del],
  ] as const) {
    for (const d of dels ?? []) {
      drop.add(d);
      add.delete(d);
    }
    for (const [n, v] of list ?? []) {
      drop.add(n.toLowerCase());
      add.set(n.toLowerCase(), v);
    }
  }
  return { drop, add: [...add] };
}

function responseEdits(vs: Modifiers, r: Partial<RuleConfig> | undefined): ResponseEdits | undefined {
  const m = mergeEdits(
    vs.set_response_header,
    vs.del_response_header,
    r?.set_response_header,
    r?.del_response_header,
  );
  if (!m) return undefined;
  const add = m.add.map(([n, v]) => `${n}: ${v}\r\n`).join("");
  return { drop: m.drop, add, tail: Buffer.from(`${add}\r\n`, "latin1") };
}

function base(vs: Modifiers, r: Partial<RuleConfig> | undefined) {
  const req = mergeEdits(vs.set_header, vs.del_header, r?.set_header, r?.del_header);
  return { reqDrop: req?.drop, reqAdd: req?.add, res: responseEdits(vs, r) };
}

/** The action of the default pool: only the virtual server's own modifiers. */
export function defaultAction(pool: string, vs: Modifiers): Action {
  return {
    kind: A_POOL,
    index: 0,
    pool,
    status: 0,
    location: undefined,
    body: "",
    contentType: "",
    rewrite: undefined,
    ...base(vs, undefined),
  };
}

export function compileAction(r: RuleConfig, index: number, vs: Modifiers): Action {
  const common = {
    index,
    location: undefined,
    body: "",
    contentType: "",
    rewrite: undefined,
    ...base(vs, r),
  };
  if (r.redirect !== undefined)
    return {
      ...common,
      kind: A_REDIRECT,
      pool: "",
      status: r.redirect_status ?? 302,
      location: compileLocation(r.redirect),
    };
  if (r.deny !== undefined) return { ...common, kind: A_DENY, pool: "", status: r.deny };
  if (r.return !== undefined)
    return {
      ...common,
      kind: A_RETURN,
      pool: "",
      status: r.return.status,
      body: r.return.body,
      contentType: r.return.content_type,
    };
  const rw = r.rewrite_path;
  return {
    ...common,
    kind: A_POOL,
    pool: r.pool ?? "",
    status: 0,
    rewrite: rw ? { re: new RegExp(rw.regex), replace: rw.replace } : undefined,
  };
}

/** Rewrite the path and the fields of `req` in place, for a forwarded request; the head is rebuilt. */
export function applyRequestEdits(a: Action, req: RequestHead, path: string, query: string): void {
  if (a.rewrite !== undefined) {
    let p = path.replace(a.rewrite.re, a.rewrite.replace);
    if (p.charCodeAt(0) !== 47) p = `/${p}`;
    req.target = query === "" && req.target.indexOf("?") < 0 ? p : `${p}?${query}`;
    req.normalised = true;
  }
  const drop = a.reqDrop;
  if (drop === undefined) return;
  const names = req.names;
  const values = req.values;
  let w = 0;
  for (let i = 0; i < names.length; i++) {
    if (drop.has(names[i]!)) continue;
    names[w] = names[i]!;
    values[w++] = values[i]!;
  }
  names.length = w;
  values.length = w;
  for (const [n, v] of a.reqAdd!) {
    names.push(n);
    values.push(v);
  }
  req.normalised = true;
}

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  410: "Gone",
  429: "Too Many Requests",
  503: "Service Unavailable",
};

const ASCII = /^[\x00-\x7f]*$/;

/**
 * A response made by tcpvs. `keep`: the connection stays open (0: closes; 1: HTTP/1.1 client; 2: an
 * HTTP/1.0 client, told so). A body with bytes above 0x7f goes as bytes: UTF-8 for a configured one,
 * latin1 (the file's own bytes) for an error page.
 */
export function ownResponse(
  status: number,
  contentType: string,
  body: string,
  extra = "",
  keep = 0,
  encoding: "utf8" | "latin1" = "utf8",
): string | Uint8Array {
  const bodiless = status === 204 || status === 304;
  const conn = keep === 0 ? "connection: close\r\n" : keep === 2 ? "connection: keep-alive\r\n" : "";
  const head =
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n${extra}` +
    (bodiless
      ? ""
      : `content-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body, encoding)}\r\n`) +
    `${conn}cache-control: no-store\r\n\r\n`;
  if (bodiless) return head;
  if (ASCII.test(body)) return head + body;
  return Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(body, encoding)]);
}

export type ErrorPages = Readonly<Record<number, { readonly body: string }>>;

/** tcpvs's own error answer: the error page for `status` when the virtual server has one. */
export function errorAnswer(
  pages: ErrorPages,
  status: number,
  code: string,
  extra = "",
): string | Uint8Array {
  const page = pages[status];
  if (page !== undefined) return ownResponse(status, "text/html", page.body, extra, 0, "latin1");
  if (extra === "" && status !== 429) return errorResponse(status, code);
  return ownResponse(status, "text/plain", `${status} ${REASONS[status] ?? "Error"}: ${code}\n`, extra);
}

/** The answer of a redirect, deny or return action to `req`. */
export function actionAnswer(
  a: Action,
  req: RequestHead,
  path: string,
  query: string,
  pages: ErrorPages,
  keep = 0,
): string | Uint8Array {
  if (a.kind === A_DENY) return errorAnswer(pages, a.status, "denied");
  if (a.kind === A_RETURN) return ownResponse(a.status, a.contentType, a.body, "", keep);
  let loc = "";
  for (const part of a.location!) {
    if (typeof part === "string") loc += part;
    else if (part === P_HOST) loc += req.host;
    else if (part === P_PATH) loc += path;
    else if (part === P_QUERY) loc += query;
    else loc += query === "" ? path : `${path}?${query}`;
  }
  return ownResponse(a.status, "text/plain", "", `location: ${loc}\r\n`, keep);
}

/** What tcpvs answers itself instead of forwarding; `keep`: the connection stays open. */
export interface OwnAnswer {
  status: number;
  code: string;
  /** The access line's `term`, when the answer is a refusal. */
  cut: string | undefined;
  text: string | Uint8Array;
  keep: boolean;
}

/**
 * The answer to `x` before any server: 429 when a limit is over (counted, `term=limited`), or the
 * action `a` when it is not a pool. A redirect or return to a request without a body keeps the
 * connection (as HAProxy does) unless `mayKeep` is false (the client half-closed, a drain).
 */
export function ownAnswer(rt: VsRuntime, x: RouteInput, a: Action, mayKeep: boolean): OwnAnswer | undefined {
  const pages = rt.cfg.error_pages;
  if (rt.limits !== undefined) {
    // The exact clock, not the coarse one: every worker then judges a shared bucket by the same time.
    const wait = rt.limits.check(x, Date.now());
    if (wait > 0) {
      rt.svc.cluster.count("reject.limited");
      const retry = `retry-after: ${Math.max(1, Math.ceil(wait / 1000))}\r\n`;
      return {
        status: 429,
        code: "limited",
        cut: "limited",
        text: errorAnswer(pages, 429, "limited", retry),
        keep: false,
      };
    }
  }
  if (a.kind === A_POOL) return undefined;
  const req = x.req;
  if (a.kind === A_DENY) {
    rt.svc.cluster.count("reject.denied");
    return {
      status: a.status,
      code: "denied",
      cut: "denied",
      text: actionAnswer(a, req, x.path, x.query, pages),
      keep: false,
    };
  }
  const keep = mayKeep && !rt.draining && req.contentLength <= 0 && !req.chunked && req.keepAlive;
  const text = actionAnswer(a, req, x.path, x.query, pages, keep ? (req.versionMinor === 0 ? 2 : 1) : 0);
  return {
    status: a.status,
    code: a.kind === A_REDIRECT ? "redirect" : "return",
    cut: undefined,
    text,
    keep,
  };
}
