// Content rules of a virtual server, compiled once: every matcher of a rule must match (AND), `not`
// negates a set of matchers, the first matching rule gives the action (actions.ts), no match means the
// default pool. A path_regex capture group can become the scheduler's hash key (KTCPVS hhttp). The
// matchers are generic (a name, a compiled test): limits (limits.ts) use the same ones.

import type { RuleConfig, VirtualServerConfig } from "../config/types.ts";
import { type Action, compileAction, defaultAction } from "./actions.ts";
import type { RequestHead } from "../http/head.ts";
import { cidrMatcher, readCidr } from "../net/cidr.ts";
import { parseIp } from "../net/ip.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";
import { serverNameMatcher } from "../tls/sni-match.ts";

export class RuleError extends TcpvsError {
  declare readonly code: "bad_rule";
  constructor(message: string) {
    super("bad_rule", message);
    this.name = "RuleError";
  }
}

/** What a rule may look at. */
export interface RouteInput {
  req: RequestHead;
  /** Path without the query. */
  path: string;
  query: string;
  sourceIp: string;
  /** The TLS server name of a terminated connection. */
  sni?: string;
}

export interface Route {
  pool: string;
  hashKey: string | undefined;
  /** What to do: forward to `pool` (with its modifiers), redirect, deny or answer. */
  action: Action;
}

export type Matcher = (r: RouteInput) => boolean;

/** The matcher keys of a rule, a `not` or a limit. */
export type MatchConfig = Partial<
  Pick<
    RuleConfig,
    | "path"
    | "path_prefix"
    | "path_regex"
    | "host"
    | "method"
    | "header"
    | "cookie"
    | "query"
    | "source"
    | "sni"
  >
> & { not?: MatchConfig };

interface CompiledRule {
  matchers: Matcher[];
  regex: RegExp | undefined;
  capture: string | number | undefined;
  action: Action;
}

function valueRegex(where: string, src: string | undefined): RegExp | undefined {
  if (src === undefined) return undefined;
  try {
    return new RegExp(src);
  } catch (e) {
    throw new RuleError(`Fix the ${where} regex ${JSON.stringify(src)}: ${(e as Error).message}`);
  }
}

/** Value of a cookie in a Cookie header value, without allocating the whole jar. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let i = 0;
  while (i < header.length) {
    while (header.charCodeAt(i) === 32 || header.charCodeAt(i) === 59) i++;
    const eq = header.indexOf("=", i);
    let semi = header.indexOf(";", i);
    if (semi < 0) semi = header.length;
    if (eq > 0 && eq < semi && header.slice(i, eq).trim() === name) return header.slice(eq + 1, semi).trim();
    i = semi + 1;
  }
  return undefined;
}

/** Value of a query parameter (first occurrence, percent-decoded when valid). */
export function queryValue(query: string, name: string): string | undefined {
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.slice(0, eq);
    if (k !== name) continue;
    const v = eq < 0 ? "" : part.slice(eq + 1);
    try {
      return decodeURIComponent(v.replace(/\+/g, " "));
    } catch {
      return v;
    }
  }
  return undefined;
}

/** Header value by lower-case name; repeated fields joined with ", ". */
export function headerOf(req: RequestHead, lower: string): string | undefined {
  let out: string | undefined;
  const names = req.names;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== lower) continue;
    out = out === undefined ? req.values[i] : `${out}, ${req.values[i]}`;
  }
  return out;
}

/** The tests of every matcher key in `r` (`where` names it in errors); `regex` is its path_regex. */
export function compileMatchers(r: MatchConfig, where: string): { m: Matcher[]; regex: RegExp | undefined } {
  const m: Matcher[] = [];
  if (r.path !== undefined) {
    const p = r.path;
    m.push((x) => x.path === p);
  }
  if (r.path_prefix !== undefined) {
    const p = r.path_prefix;
    m.push((x) => x.path.startsWith(p));
  }
  const regex = valueRegex(`${where} path_regex`, r.path_regex);
  if (regex) m.push((x) => regex.test(x.path));
  if (r.host !== undefined) {
    const h = r.host.toLowerCase();
    if (h.startsWith("*.")) {
      const suffix = h.slice(1);
      m.push((x) => stripPort(x.req.host).endsWith(suffix) && stripPort(x.req.host).length > suffix.length);
    } else m.push((x) => stripPort(x.req.host) === h);
  }
  if (r.method !== undefined && r.method.length > 0) {
    const set = new Set(r.method.map((s) => s.toUpperCase()));
    m.push((x) => set.has(x.req.method));
  }
  if (r.header !== undefined) {
    const name = r.header.name.toLowerCase();
    const re = valueRegex(`${where} header`, r.header.regex);
    m.push((x) => {
      const v = headerOf(x.req, name);
      return v !== undefined && (re === undefined || re.test(v));
    });
  }
  if (r.cookie !== undefined) {
    const { name } = r.cookie;
    const re = valueRegex(`${where} cookie`, r.cookie.regex);
    m.push((x) => {
      const v = cookieValue(headerOf(x.req, "cookie"), name);
      return v !== undefined && (re === undefined || re.test(v));
    });
  }
  if (r.query !== undefined) {
    const { name } = r.query;
    const re = valueRegex(`${where} query`, r.query.regex);
    m.push((x) => {
      const v = queryValue(x.query, name);
      return v !== undefined && (re === undefined || re.test(v));
    });
  }
  if (r.source !== undefined && r.source.length > 0) {
    const nets = r.source.map((s) => {
      const c = readCidr(s);
      if (!c.ok) throw new RuleError(`Fix the ${where} source ${JSON.stringify(s)}: not a CIDR (${c.error})`);
      return cidrMatcher(c.value);
    });
    m.push((x) => {
      const ip = parseIp(x.sourceIp);
      return ip !== undefined && nets.some((match) => match(ip));
    });
  }
  if (r.sni !== undefined && r.sni.length > 0) {
    const match = serverNameMatcher(r.sni);
    m.push((x) => match(x.sni));
  }
  if (r.not !== undefined) {
    const neg = compileMatchers(r.not, `${where} not`).m;
    if (neg.length > 0)
      m.push((x) => {
        for (let j = 0; j < neg.length; j++) if (!neg[j]!(x)) return true;
        return false;
      });
  }
  return { m, regex };
}

function compileRule(r: RuleConfig, i: number, vs: VsModifiers): CompiledRule {
  const where = `rule ${i + 1}`;
  const { m, regex } = compileMatchers(r, where);
  if (r.hash_capture !== undefined && !regex)
    throw new RuleError(`Add a path_regex to ${where}: hash_capture needs one`);
  return { matchers: m, regex, capture: r.hash_capture, action: compileAction(r, i + 1, vs) };
}

type VsModifiers = Partial<
  Pick<VirtualServerConfig, "set_header" | "del_header" | "set_response_header" | "del_response_header">
>;

function stripPort(host: string): string {
  if (host.charCodeAt(0) === 91) {
    const e = host.indexOf("]");
    return e < 0 ? host : host.slice(0, e + 1);
  }
  const c = host.indexOf(":");
  return c < 0 ? host : host.slice(0, c);
}

// Rules are bucketed by the path's second character (the one after "/"): a rule with a `path` or
// `path_prefix` of two characters or more can only match paths that share it, so a request tries
// only the rules of its bucket (each still checked whole), in file order. 50 prefix rules cost a
// request the few that could match, not 50 calls.
const END = 128;
const OTHER = 129;

function pathKey(r: RuleConfig): number | undefined {
  const p = r.path ?? (r.path_prefix !== undefined && r.path_prefix.length >= 2 ? r.path_prefix : undefined);
  if (p === undefined) return undefined;
  if (p.length < 2) return END;
  const c = p.charCodeAt(1);
  return c < 128 ? c : OTHER;
}

export class Router {
  private readonly rules: CompiledRule[];
  /** Rule indices by the path's second character (END: none; OTHER: not ASCII). */
  private readonly buckets: Int32Array[];
  readonly defaultPool: string;
  private readonly fallback: Route;
  /** The route of each rule without a hash key: a request allocates none. */
  private readonly routes: Route[];

  constructor(vs: Pick<VirtualServerConfig, "pool" | "rule"> & VsModifiers) {
    this.rules = vs.rule.map((r, i) => compileRule(r, i, vs));
    this.defaultPool = vs.pool;
    this.fallback = { pool: vs.pool, hashKey: undefined, action: defaultAction(vs.pool, vs) };
    this.routes = this.rules.map((r) => ({ pool: r.action.pool, hashKey: undefined, action: r.action }));
    const keys = vs.rule.map(pathKey);
    this.buckets = [];
    for (let c = 0; c <= OTHER; c++) {
      const list: number[] = [];
      keys.forEach((k, i) => {
        if (k === undefined || k === c) list.push(i);
      });
      this.buckets.push(Int32Array.from(list));
    }
  }

  /** Pools any rule can send to, default first. */
  pools(): string[] {
    const named = this.rules.flatMap((r) => (r.action.pool === "" ? [] : [r.action.pool]));
    return [...new Set([this.defaultPool, ...named])];
  }

  route(x: RouteInput): Route {
    const rules = this.rules;
    if (rules.length === 0) return this.fallback;
    const path = x.path;
    const c = path.length < 2 ? END : path.charCodeAt(1);
    const list = this.buckets[path.length < 2 || c < 128 ? c : OTHER]!;
    outer: for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      const r = rules[i]!;
      for (let j = 0; j < r.matchers.length; j++) if (!r.matchers[j]!(x)) continue outer;
      if (r.capture === undefined || !r.regex) return this.routes[i]!;
      const m = r.regex.exec(path);
      const cap = r.capture;
      const hashKey = typeof cap === "number" ? m?.[cap] : (m?.groups?.[cap] ?? m?.[Number(cap)]);
      return { pool: r.action.pool, hashKey, action: r.action };
    }
    return this.fallback;
  }
}

/** Split a request target into path and query (absolute-form reduced to its path). */
export function splitTarget(target: string): { path: string; query: string } {
  let t = target;
  if (t.charCodeAt(0) !== 47 && t !== "*") {
    const s = t.indexOf("/", t.indexOf("//") + 2);
    t = s < 0 ? "/" : t.slice(s);
  }
  const q = t.indexOf("?");
  return q < 0 ? { path: t, query: "" } : { path: t.slice(0, q), query: t.slice(q + 1) };
}
