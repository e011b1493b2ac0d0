// The config vocabulary: which keys each table takes, their types, ranges and defaults, and the checks
// that span tables (references, duplicates). Key names follow keepalived and HAProxy.

import { hostname } from "node:os";
import { type Fields, isTable, join, type Raw } from "./fields.ts";
import type {
  PeerConfig,
  CheckConfig,
  CheckType,
  GlobalConfig,
  PoolConfig,
  RuleConfig,
  ServerConfig,
  TcpvsConfig,
  VirtualServerConfig,
} from "./types.ts";
import { describe, parseCidr, parseEndpoint } from "./values.ts";
import { readVrrp } from "./vrrp-schema.ts";
import { schedulerNames, validatePersistence, validateSchedulerOptions } from "../sched/registry.ts";
import { isLoopback as isLoopbackIp, parseIp } from "../net/ip.ts";

export const SCHEDULERS: readonly string[] = schedulerNames;
const CHECK_TYPES: CheckType[] = ["tcp", "http", "https", "smtp", "dns", "icmp", "udp", "script", "expect"];
const TOP = ["global", "virtual_server", "pool", "vrrp"];

function readGlobal(f: Fields, raw: unknown): GlobalConfig {
  const path = "global";
  const t = f.table(raw, path, [
    "control",
    "control_token_file",
    "control_allow_remote",
    "control_group",
    "peers",
    "metrics",
    "log_level",
    "log_format",
    "grace",
    "router_id",
  ]);
  const control = f.endpoint(t, "control", path) ?? {
    kind: "unix" as const,
    path: "/run/tcpvs/control.sock",
    text: "unix:/run/tcpvs/control.sock",
  };
  const g: GlobalConfig = {
    control,
    control_token_file: f.optString(t, "control_token_file", path),
    control_allow_remote: f.bool(t, "control_allow_remote", path, false),
    control_group: f.optString(t, "control_group", path),
    peers: readPeers(f, t, path),
    metrics: f.endpoint(t, "metrics", path),
    log_level: f.string(t, "log_level", path, { def: "info", oneOf: ["debug", "info", "warn", "error"] }),
    log_format: f.string(t, "log_format", path, { def: "text", oneOf: ["text", "json"] }),
    grace: f.duration(t, "grace", path, 10_000),
    router_id: f.string(t, "router_id", path, { def: hostname() }),
  };
  const peers = g.peers ?? [];
  for (const [i, p] of peers.entries()) {
    if (peers.findIndex((q) => q.name === p.name) !== i)
      f.error(join(join(join(path, "peers"), i), "name"), `peer name "${p.name}" is given twice`);
  }
  if (g.control_group !== undefined && (control.kind !== "unix" || g.control_group === "")) {
    f.error(
      join(path, "control_group"),
      control.kind !== "unix"
        ? `control_group applies to a unix control socket, not "${control.text}": remove it or use unix:/PATH`
        : "control_group needs a group name",
    );
  }
  if (control.kind === "inet" && !isLoopback(control.host)) {
    if (!g.control_allow_remote) {
      f.error(
        join(path, "control"),
        `refusing non-loopback control address "${control.text}": set control_allow_remote = true and control_token_file`,
      );
    } else if (!g.control_token_file) {
      f.error(
        join(path, "control_token_file"),
        `a non-loopback control address "${control.text}" needs control_token_file`,
      );
    }
  }
  return g;
}

/** [global] peers: the other nodes `tcpvs status --all` steers, each by its control address. */
function readPeers(f: Fields, t: Raw, path: string): PeerConfig[] {
  const out: PeerConfig[] = [];
  for (const { value, path: p } of f.tables(t["peers"], join(path, "peers"))) {
    const e = f.table(value, p, ["name", "control", "token_file"]);
    const name = f.string(e, "name", p, { required: true });
    const control = f.endpoint(e, "control", p);
    if (!control) {
      if (e["control"] === undefined) f.error(join(p, "control"), 'missing required key "control"');
      continue;
    }
    const token_file = f.optString(e, "token_file", p);
    if (control.kind === "inet" && !isLoopback(control.host) && !token_file)
      f.error(join(p, "token_file"), `peer "${name}" at "${control.text}" is remote: give its token_file`);
    out.push({ name, control, ...(token_file ? { token_file } : {}) });
  }
  return out;
}

function isLoopback(host: string): boolean {
  const ip = parseIp(host);
  return ip !== undefined && isLoopbackIp(ip);
}

function readMatcher(
  f: Fields,
  t: Raw,
  key: string,
  path: string,
): { name: string; regex?: string } | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  const p = join(path, key);
  // "Name" (present) or "Name: regex", or a table { name, regex }.
  if (typeof v === "string") {
    const colon = v.indexOf(":");
    const name = (colon < 0 ? v : v.slice(0, colon)).trim();
    const regex = colon < 0 ? undefined : v.slice(colon + 1).trim();
    if (!name) f.error(p, `invalid ${key} matcher "${v}": expected "NAME" or "NAME: REGEX"`);
    if (regex !== undefined) f.regex({ [key]: regex }, key, path);
    return { name, regex };
  }
  const m = f.table(v, p, ["name", "regex"]);
  return { name: f.string(m, "name", p, { required: true }), regex: f.regex(m, "regex", p) };
}

function readRule(f: Fields, raw: unknown, path: string): RuleConfig {
  const t = f.table(raw, path, [
    "path",
    "path_prefix",
    "path_regex",
    "host",
    "method",
    "header",
    "cookie",
    "query",
    "source",
    "hash_capture",
    "pool",
  ]);
  const rule: RuleConfig = {
    path: f.optString(t, "path", path),
    path_prefix: f.optString(t, "path_prefix", path),
    path_regex: f.regex(t, "path_regex", path),
    host: f.optString(t, "host", path)?.toLowerCase(),
    method: t.method === undefined ? undefined : f.strings(t, "method", path).map((m) => m.toUpperCase()),
    header: readMatcher(f, t, "header", path),
    cookie: readMatcher(f, t, "cookie", path),
    query: readMatcher(f, t, "query", path),
    source: t.source === undefined ? undefined : f.strings(t, "source", path),
    pool: f.string(t, "pool", path, { required: true }),
  };
  rule.source?.forEach((c, i) => {
    const r = parseCidr(c);
    if (!r.ok) f.error(join(join(path, "source"), i), r.error);
  });
  if (t.hash_capture !== undefined) {
    if (typeof t.hash_capture !== "string" && typeof t.hash_capture !== "number") {
      f.error(join(path, "hash_capture"), "expected a capture group name or number");
    } else if (!rule.path_regex) {
      f.error(join(path, "hash_capture"), "hash_capture needs path_regex in the same rule");
    } else rule.hash_capture = t.hash_capture;
  }
  return rule;
}

function readVirtualServer(f: Fields, raw: unknown, path: string): VirtualServerConfig {
  const t = f.table(raw, path, [
    "name",
    "listen",
    "mode",
    "pool",
    "rule",
    "max_connections",
    "client_header_timeout",
    "client_keepalive_timeout",
    "idle_timeout",
    "server_connect_timeout",
    "server_response_timeout",
    "max_header_size",
    "max_headers",
    "max_body_size",
    "retries",
    "x_forwarded_for",
    "x_forwarded_proto",
    "forwarded",
    "proxy_protocol",
    "upgrade_protocols",
    "access_log",
  ]);
  const listen = f.strings(t, "listen", path).flatMap((text, i) => {
    const r = parseEndpoint(text);
    if (r.ok) return [r.value];
    f.error(join(join(path, "listen"), i), r.error);
    return [];
  });
  if (t.listen === undefined) f.error(join(path, "listen"), 'missing required key "listen"');
  return {
    name: f.string(t, "name", path, { required: true }),
    listen,
    mode: f.string(t, "mode", path, { def: "http", oneOf: ["http", "tcp"] }),
    pool: f.string(t, "pool", path, { required: true }),
    rule: f.tables(t.rule, join(path, "rule")).map((r) => readRule(f, r.value, r.path)),
    max_connections: f.int(t, "max_connections", path, { def: 10_000, min: 1 }),
    client_header_timeout: f.duration(t, "client_header_timeout", path, 10_000, { min: 1 }),
    client_keepalive_timeout: f.duration(t, "client_keepalive_timeout", path, 60_000, { min: 1 }),
    idle_timeout: f.duration(t, "idle_timeout", path, 300_000, { min: 1 }),
    server_connect_timeout: f.duration(t, "server_connect_timeout", path, 3_000, { min: 1 }),
    server_response_timeout: f.duration(t, "server_response_timeout", path, 30_000, { min: 1 }),
    max_header_size: f.int(t, "max_header_size", path, { def: 16_384, min: 256, max: 1_048_576 }),
    max_headers: f.int(t, "max_headers", path, { def: 100, min: 1, max: 10_000 }),
    max_body_size: f.int(t, "max_body_size", path, { def: 0, min: 0 }),
    retries: f.int(t, "retries", path, { def: 2, min: 0, max: 10 }),
    x_forwarded_for: f.bool(t, "x_forwarded_for", path, true),
    x_forwarded_proto: f.bool(t, "x_forwarded_proto", path, true),
    forwarded: f.bool(t, "forwarded", path, false),
    proxy_protocol: f.int(t, "proxy_protocol", path, { def: 0, min: 0, max: 2 }) as 0 | 1 | 2,
    upgrade_protocols: readUpgradeProtocols(f, t, path),
    access_log: f.bool(t, "access_log", path, false),
  };
}

const PROTOCOL_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/** The protocol names a request may Upgrade to (RFC 9110 7.8 tokens), lower-cased. */
function readUpgradeProtocols(f: Fields, t: Raw, path: string): string[] {
  const v = t.upgrade_protocols;
  const p = join(path, "upgrade_protocols");
  if (v === undefined) return ["websocket"];
  if (!Array.isArray(v)) {
    f.error(p, `expected an array of protocol names such as ["websocket"], got ${describe(v)}`);
    return ["websocket"];
  }
  const out: string[] = [];
  v.forEach((item, i) => {
    if (typeof item !== "string")
      f.error(join(p, i), `expected a protocol name string, got ${describe(item)}`);
    else if (!PROTOCOL_NAME.test(item))
      f.error(join(p, i), `invalid protocol name "${item}": use a token without a version, e.g. "websocket"`);
    else out.push(item.toLowerCase());
  });
  return out;
}

function readServer(f: Fields, raw: unknown, path: string): ServerConfig {
  const t = f.table(raw, path, ["name", "address", "weight", "backup", "max_connections"]);
  const address = f.endpoint(t, "address", path) ?? { kind: "unix" as const, path: "/invalid", text: "" };
  if (t.address === undefined) f.error(join(path, "address"), 'missing required key "address"');
  return {
    name: f.string(t, "name", path, { def: address.text }),
    address,
    weight: f.int(t, "weight", path, { def: 1, min: 0, max: 65_535 }),
    backup: f.bool(t, "backup", path, false),
    max_connections: f.int(t, "max_connections", path, { def: 0, min: 0 }),
  };
}

const CHECK_KEYS = [
  "type",
  "interval",
  "delay_loop",
  "timeout",
  "connect_timeout",
  "rise",
  "fall",
  "retry",
  "delay_before_retry",
  "alpha",
  "port",
  "method",
  "path",
  "host",
  "status",
  "body_regex",
  "digest",
  "tls_verify",
  "sni",
  "http_version",
  "helo_name",
  "name",
  "record_type",
  "expect_answer",
  "send",
  "expect",
  "steps",
  "script",
  "dynamic",
];

function readStatus(f: Fields, t: Raw, path: string): Array<[number, number]> {
  const v = t.status;
  if (v === undefined) return [[200, 299]];
  const items = Array.isArray(v) ? v : [v];
  return items.flatMap((item, i): Array<[number, number]> => {
    if (typeof item === "number" && Number.isInteger(item) && item >= 100 && item <= 599)
      return [[item, item]];
    const m = typeof item === "string" ? /^(\d{3})-(\d{3})$/.exec(item) : null;
    if (m && Number(m[1]) <= Number(m[2])) return [[Number(m[1]), Number(m[2])]];
    f.error(
      Array.isArray(v) ? join(join(path, "status"), i) : join(path, "status"),
      `invalid status ${JSON.stringify(item)}: expected a code 100-599 or a range "200-399"`,
    );
    return [];
  });
}

function readCheck(f: Fields, raw: unknown, path: string): CheckConfig {
  const t = f.table(raw, path, CHECK_KEYS);
  const type = f.string(t, "type", path, { oneOf: CHECK_TYPES, required: true, def: "tcp" });
  // keepalived spells two of these differently; accept its words as aliases.
  const interval =
    t.delay_loop !== undefined
      ? f.duration(t, "delay_loop", path, 2000, { min: 10 })
      : f.duration(t, "interval", path, 2000, { min: 10 });
  const timeout =
    t.connect_timeout !== undefined
      ? f.duration(t, "connect_timeout", path, 1000, { min: 1 })
      : f.duration(t, "timeout", path, 1000, { min: 1 });
  const steps = f.tables(t.steps, join(path, "steps")).map((s) => {
    const st = f.table(s.value, s.path, ["send", "expect"]);
    return { send: f.optString(st, "send", s.path), expect: f.regex(st, "expect", s.path) };
  });
  const c: CheckConfig = {
    type,
    interval,
    timeout,
    rise: f.int(t, "rise", path, { def: 1, min: 1, max: 100 }),
    fall: f.int(t, "fall", path, { def: 1, min: 1, max: 100 }),
    retry: f.int(t, "retry", path, { def: 0, min: 0, max: 100 }),
    delay_before_retry: f.duration(t, "delay_before_retry", path, 1000),
    alpha: f.bool(t, "alpha", path, false),
    port: t.port === undefined ? undefined : f.int(t, "port", path, { def: 0, min: 1, max: 65_535 }),
    method: f.string(t, "method", path, { def: "GET" }).toUpperCase(),
    path: f.string(t, "path", path, { def: "/" }),
    host: f.optString(t, "host", path),
    status: readStatus(f, t, path),
    body_regex: f.regex(t, "body_regex", path),
    digest: f.optString(t, "digest", path),
    tls_verify: f.bool(t, "tls_verify", path, true),
    sni: f.optString(t, "sni", path),
    http_version: f.string(t, "http_version", path, { def: "1.1", oneOf: ["1.0", "1.1"] }),
    helo_name: f.string(t, "helo_name", path, { def: "tcpvs.localdomain" }),
    name: f.string(t, "name", path, { def: "." }),
    record_type: f.string(t, "record_type", path, { def: "SOA" }).toUpperCase(),
    expect_answer: f.optString(t, "expect_answer", path),
    send: f.optString(t, "send", path),
    expect: f.regex(t, "expect", path),
    steps,
    script: f.optString(t, "script", path),
    dynamic: f.bool(t, "dynamic", path, false),
  };
  if (c.digest !== undefined && !/^[0-9a-fA-F]{32}$/.test(c.digest))
    f.error(join(path, "digest"), `invalid digest "${c.digest}": expected 32 hex digits (MD5)`);
  if (c.type === "script" && !c.script)
    f.error(join(path, "script"), 'a "script" check needs script = "COMMAND"');
  if (c.type === "expect" && steps.length === 0 && !c.send && !c.expect)
    f.error(join(path, "steps"), 'an "expect" check needs steps (or send/expect)');
  if (c.timeout >= c.interval)
    f.error(
      join(path, "timeout"),
      `timeout (${c.timeout} ms) must be shorter than interval (${c.interval} ms)`,
    );
  return c;
}

function readPool(f: Fields, name: string, raw: unknown, path: string): PoolConfig {
  const t = f.table(raw, path, [
    "scheduler",
    "scheduler_options",
    "persistence_timeout",
    "persistence_granularity",
    "sorry_server",
    "quorum",
    "hysteresis",
    "inhibit_on_failure",
    "notify_up",
    "notify_down",
    "server",
    "check",
  ]);
  const opts = t.scheduler_options;
  if (opts !== undefined && !isTable(opts)) f.error(join(path, "scheduler_options"), "expected a table");
  const servers = f.tables(t.server, join(path, "server")).map((s) => readServer(f, s.value, s.path));
  if (servers.length === 0)
    f.error(join(path, "server"), `pool "${name}" has no servers: add a [[${path}.server]] with an address`);
  const seen = new Map<string, number>();
  servers.forEach((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined)
      f.error(join(join(path, "server"), i), `duplicate server name "${s.name}" (also server[${first}])`);
    else seen.set(s.name, i);
  });
  const granularity = f.string(t, "persistence_granularity", path, { def: "255.255.255.255" });
  const scheduler = f.string(t, "scheduler", path, { def: "wlc", oneOf: SCHEDULERS });
  const schedOptions = isTable(opts) ? opts : {};
  if (t.scheduler === undefined || (typeof t.scheduler === "string" && SCHEDULERS.includes(t.scheduler))) {
    for (const msg of validateSchedulerOptions(scheduler, schedOptions)) {
      // Point at the option's own line when the message names it.
      const key = /option "([^"]+)"/.exec(msg)?.[1];
      f.error(join(join(path, "scheduler_options"), key && key in schedOptions ? key : ""), msg);
    }
  }
  const persistence = f.duration(t, "persistence_timeout", path, 0);
  for (const msg of validatePersistence(persistence, granularity))
    f.error(join(path, "persistence_granularity"), msg);
  return {
    name,
    scheduler,
    scheduler_options: schedOptions,
    persistence_timeout: persistence,
    persistence_granularity: granularity,
    sorry_server: f.endpoint(t, "sorry_server", path),
    quorum: f.int(t, "quorum", path, { def: 1, min: 0 }),
    hysteresis: f.int(t, "hysteresis", path, { def: 0, min: 0 }),
    inhibit_on_failure: f.bool(t, "inhibit_on_failure", path, false),
    notify_up: f.optString(t, "notify_up", path),
    notify_down: f.optString(t, "notify_down", path),
    server: servers,
    check: f.tables(t.check, join(path, "check")).map((c) => readCheck(f, c.value, c.path)),
  };
}

/** Validate a parsed TOML document; problems go to `f.issues`, the result is always complete. */
export function readConfig(f: Fields, raw: Raw, file: string): TcpvsConfig {
  f.table(raw, "", TOP);
  const vsList = f
    .tables(raw.virtual_server, "virtual_server")
    .map((v) => readVirtualServer(f, v.value, v.path));
  const pools: Record<string, PoolConfig> = {};
  for (const [name, value] of Object.entries(
    f.table(raw.pool, "pool", Object.keys(isTable(raw.pool) ? raw.pool : {})),
  )) {
    pools[name] = readPool(f, name, value, join("pool", name));
  }
  const vrrp = readVrrp(f, raw.vrrp);
  const cfg: TcpvsConfig = {
    file,
    global: readGlobal(f, raw.global),
    virtual_server: vsList,
    pool: pools,
    vrrp,
  };

  const names = new Map<string, number>();
  vsList.forEach((vs, i) => {
    const path = join("virtual_server", i);
    const first = names.get(vs.name);
    if (first !== undefined)
      f.error(
        join(path, "name"),
        `duplicate virtual_server name "${vs.name}" (also virtual_server[${first}])`,
      );
    else names.set(vs.name, i);
    const refs: Array<[string, string]> = [
      [join(path, "pool"), vs.pool],
      ...vs.rule.map((r, j): [string, string] => [join(join(join(path, "rule"), j), "pool"), r.pool]),
    ];
    for (const [p, pool] of refs) {
      if (pool && !pools[pool]) f.error(p, `pool "${pool}" is not defined${hintPool(pools)}`);
    }
  });
  const listens = new Map<string, string>();
  vsList.forEach((vs, i) => {
    vs.listen.forEach((l, j) => {
      const other = listens.get(l.text);
      if (other)
        f.error(
          join(join(join("virtual_server", i), "listen"), j),
          `address "${l.text}" is already used by ${other}`,
        );
      else listens.set(l.text, `virtual_server "${vs.name}"`);
    });
  });
  for (const [name, inst] of Object.entries(vrrp)) {
    inst.track_pool.forEach((tp, i) => {
      if (!pools[tp.name])
        f.error(
          join(join(join("vrrp", name), "track_pool"), i),
          `pool "${tp.name}" is not defined${hintPool(pools)}`,
        );
    });
  }
  return cfg;
}

function hintPool(pools: Record<string, PoolConfig>): string {
  const known = Object.keys(pools);
  if (known.length === 0) return "; no [pool.NAME] tables exist";
  return `; defined pools: ${known.map((k) => `"${k}"`).join(", ")}`;
}
