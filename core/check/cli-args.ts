// Flags of `tcpvs check` for one check given on the command line: they mirror the config keys, so a
// line that works here works as a [pool.NAME.check] table.

import type { CheckConfig, CheckType, Endpoint } from "../config/types.ts";
import { nearest } from "../config/values.ts";
import { CHECK_TYPES, isCheckType } from "./check-types.ts";
import { checkDefaults } from "./types.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";
import { readEndpoint } from "../net/endpoint.ts";
import { readDuration } from "../units/duration.ts";

export class CheckUsageError extends TcpvsError {
  declare readonly code: "usage";
  constructor(message: string) {
    super("usage", message);
    this.name = "CheckUsageError";
  }
}

export interface CheckArgs {
  /** Set for a one-shot check; absent for a config run. */
  check?: CheckConfig;
  target?: Endpoint;
  /** What the output line names: "tcp 127.0.0.1:80", "http http://a/b". */
  label?: string;
  pool?: string;
  quiet: boolean;
  json: boolean;
  help: boolean;
}

export const VALUE_FLAGS: ReadonlySet<string> = new Set([
  "timeout",
  "port",
  "method",
  "path",
  "host",
  "status",
  "body-regex",
  "digest",
  "sni",
  "http-version",
  "helo-name",
  "name",
  "type",
  "record-type",
  "expect-answer",
  "send",
  "expect",
  "script",
  "pool",
]);
const GLOBAL_WITH_VALUE = new Set(["-c", "--config", "--log-level", "--log-format"]);
const BOOL_FLAGS = new Set(["insecure", "dynamic", "quiet", "json", "help"]);

/** "2s", "500ms", "1m", "1.5s"; a bare number is refused, as in the file (core/units/duration.ts). */
export function parseCliDuration(text: string): number {
  const r = readDuration(text);
  if (!r.ok) throw new CheckUsageError(`Cannot use --timeout: ${r.error}`);
  if (r.value < 1 || r.value > 3_600_000)
    throw new CheckUsageError(`Give --timeout between 1ms and 1h: "${text}" is out of range`);
  return r.value;
}

/** "200", "200-299", "200,301-302". */
export function parseStatusList(text: string): Array<[number, number]> {
  return text.split(",").map((part) => {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part.trim());
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2] ?? m?.[1]);
    if (!m || lo < 100 || hi > 599 || lo > hi) {
      throw new CheckUsageError(`Give --status as codes or ranges like "200,301-302": "${part}" is not one`);
    }
    return [lo, hi] as [number, number];
  });
}

/** Backslash escapes in --send, so "PING\r\n" can be typed in a shell. */
export function unescapeSend(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[rnt0\\])/g, (_m, e: string) => {
    if (e[0] === "x") return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return { r: "\r", n: "\n", t: "\t", "0": "\0", "\\": "\\" }[e]!;
  });
}

/** "host:port", "[v6]:port", a bare address with `defaultPort` (core/net/endpoint.ts). */
export function parseHostPort(text: string, defaultPort?: number): Endpoint {
  const r = readEndpoint(text, defaultPort);
  if (!r.ok) throw new CheckUsageError(`Cannot use the target: ${r.error}`);
  return r.value;
}

const DEFAULT_PORT: Partial<Record<CheckType, number>> = { smtp: 25, dns: 53, icmp: 0, http: 80, https: 443 };

export function parseCheckArgs(argv: string[]): CheckArgs {
  const out: CheckArgs = { quiet: false, json: false, help: false };
  const values = new Map<string, string>();
  const positionals: string[] = [];
  const steps: Array<{ send?: string; expect?: string }> = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    // Global flags the caller already handled (the config is passed in already parsed).
    if (GLOBAL_WITH_VALUE.has(word)) {
      i++;
      continue;
    }
    if (/^--(config|log-level|log-format)=/.test(word)) continue;
    if (!word.startsWith("--")) {
      if (word === "-h") out.help = true;
      else positionals.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const name = word.slice(2, eq < 0 ? undefined : eq);
    if (BOOL_FLAGS.has(name)) {
      if (name === "quiet") out.quiet = true;
      else if (name === "json") out.json = true;
      else if (name === "help") out.help = true;
      else values.set(name, "true");
      continue;
    }
    if (!VALUE_FLAGS.has(name))
      throw new CheckUsageError(`Remove the unknown flag "--${name}" (see tcpvs check --help)`);
    const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new CheckUsageError(`Give a value after "--${name}"`);
    // --send and --expect build the dialogue in order: each --send opens a step.
    if (name === "send") steps.push({ send: unescapeSend(value) });
    else if (name === "expect") {
      const last = steps.at(-1);
      if (last && last.expect === undefined) last.expect = value;
      else steps.push({ expect: value });
    } else values.set(name, value);
  }
  if (out.help) return out;
  out.pool = values.get("pool");
  const [type, targetText, ...extra] = positionals;
  if (type === undefined) return out;
  if (!isCheckType(type)) {
    const hint = nearest(type, [...Object.keys(CHECK_TYPES), "vrrp"]);
    throw new CheckUsageError(
      `Name a check type (tcp, http, https, smtp, dns, icmp, udp, script, expect, vrrp): "${type}" is not one${hint ? `; did you mean "${hint}"?` : ""}`,
    );
  }
  if (extra.length > 0) throw new CheckUsageError(`Remove the extra argument "${extra[0]}"`);
  const check = checkDefaults({ type, steps: type === "expect" ? steps : [] });
  if (type === "udp" && steps[0]) {
    check.send = steps[0].send;
    check.expect = steps[0].expect;
  }
  let target: Endpoint | undefined;
  let label: string = type;
  if ((type === "http" || type === "https") && targetText && /^https?:\/\//.test(targetText)) {
    const url = new URL(targetText);
    if (url.protocol !== `${type}:`)
      throw new CheckUsageError(`Use a ${type}:// URL with "check ${type}": "${targetText}"`);
    target = parseHostPort(url.host, DEFAULT_PORT[type]);
    check.path = `${url.pathname}${url.search}`;
    label = `${type} ${targetText}`;
  } else if (targetText !== undefined) {
    target = parseHostPort(targetText, DEFAULT_PORT[type]);
    label = `${type} ${target.text}`;
  } else if (type !== "script") {
    throw new CheckUsageError(`Give a target: tcpvs check ${type} HOST:PORT`);
  }
  const v = (k: string) => values.get(k);
  if (v("timeout") !== undefined) check.timeout = parseCliDuration(v("timeout")!);
  if (v("port")) {
    const port = Number(v("port"));
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new CheckUsageError(`Give --port as 1-65535: "${v("port")}"`);
    check.port = port;
  }
  if (v("method")) check.method = v("method")!.toUpperCase();
  if (v("path")) check.path = v("path")!;
  if (v("host")) check.host = v("host");
  if (v("status")) check.status = parseStatusList(v("status")!);
  if (v("body-regex")) check.body_regex = regex(v("body-regex")!, "--body-regex");
  if (v("digest")) {
    if (!/^[0-9a-fA-F]{32}$/.test(v("digest")!))
      throw new CheckUsageError(`Give --digest as 32 hex digits (MD5): "${v("digest")}"`);
    check.digest = v("digest");
  }
  if (v("insecure")) check.tls_verify = false;
  if (v("sni")) check.sni = v("sni");
  if (v("http-version")) {
    const hv = v("http-version");
    if (hv !== "1.0" && hv !== "1.1") throw new CheckUsageError(`Give --http-version as 1.0 or 1.1: "${hv}"`);
    check.http_version = hv;
  }
  if (v("helo-name")) check.helo_name = v("helo-name")!;
  if (v("name")) check.name = v("name")!;
  // --record-type is the config key's name (record_type); --type stays as the older spelling.
  const recordType = v("record-type") ?? v("type");
  if (recordType) check.record_type = recordType.toUpperCase();
  if (v("expect-answer")) check.expect_answer = v("expect-answer");
  if (v("script")) check.script = v("script");
  if (v("dynamic")) check.dynamic = true;
  for (const s of steps) if (s.expect !== undefined) regex(s.expect, "--expect");
  if (type === "script" && !check.script)
    throw new CheckUsageError('Give the command: tcpvs check script --script "CMD"');
  if (type === "expect" && steps.length === 0)
    throw new CheckUsageError("Give the dialogue: --send TEXT --expect REGEX ...");
  out.check = check;
  out.target = target ?? { kind: "inet", host: "127.0.0.1", port: 0, family: 4, text: "127.0.0.1:0" };
  out.label = type === "script" && !target ? `script ${JSON.stringify(check.script)}` : label;
  return out;
}

function regex(source: string, flag: string): string {
  try {
    new RegExp(source);
  } catch {
    throw new CheckUsageError(`Give ${flag} as a regular expression: "${source}" is not one`);
  }
  return source;
}
