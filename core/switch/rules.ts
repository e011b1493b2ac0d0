// Content rules of a virtual server, compiled once: every matcher of a rule must match (AND), the first
// matching rule names the pool, no match means the default pool. A path_regex capture group can become
// the scheduler's hash key (KTCPVS hhttp).

import type { RuleConfig, VirtualServerConfig } from "../config/types.ts";
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
}

type Matcher = (r: RouteInput) => boolean;

interface CompiledRule {
  matchers: Matcher[];
  pool: string;
  regex: RegExp | undefined;
  capture: string | number | undefined;
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

function compileRule(r: RuleConfig, i: number): CompiledRule {
  const m: Matcher[] = [];
  const where = `rule ${i + 1}`;
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
  if (r.hash_capture !== undefined && !regex)
    throw new RuleError(`Add a path_regex to ${where}: hash_capture needs one`);
  return { matchers: m, pool: r.pool, regex, capture: r.hash_capture };
}

function stripPort(host: string): string {
  if (host.charCodeAt(0) === 91) {
    const e = host.indexOf("]");
    return e < 0 ? host : host.slice(0, e + 1);
  }
  const c = host.indexOf(":");
  return c < 0 ? host : host.slice(0, c);
}

export class Router {
  private readonly rules: CompiledRule[];
  readonly defaultPool: string;

  constructor(vs: Pick<VirtualServerConfig, "pool" | "rule">) {
    this.rules = vs.rule.map(compileRule);
    this.defaultPool = vs.pool;
  }

  /** Pools any rule can send to, default first. */
  pools(): string[] {
    return [...new Set([this.defaultPool, ...this.rules.map((r) => r.pool)])];
  }

  route(x: RouteInput): Route {
    const rules = this.rules;
    outer: for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      for (let j = 0; j < r.matchers.length; j++) if (!r.matchers[j]!(x)) continue outer;
      let hashKey: string | undefined;
      if (r.capture !== undefined && r.regex) {
        const m = r.regex.exec(x.path);
        const c = r.capture;
        hashKey = typeof c === "number" ? m?.[c] : (m?.groups?.[c] ?? m?.[Number(c)]);
      }
      return { pool: r.pool, hashKey };
    }
    return { pool: this.defaultPool, hashKey: undefined };
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
