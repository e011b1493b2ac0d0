// The config vocabulary: every key of [global], [[virtual_server]] and [pool.NAME], described once (see
// schema-kit.ts), plus the rules that span keys or tables (references, duplicates). Key names follow
// keepalived and HAProxy. [pool.NAME.check] is in check-schema.ts, [vrrp.NAME] in vrrp-schema.ts.

import { hostname } from "node:os";
import { isLoopback as isLoopbackIp, parseIp } from "../net/ip.ts";
import { schedulerNames, validatePersistence, validateSchedulerOptions } from "../sched/registry.ts";
import { checkSection } from "./check-schema.ts";
import { type Fields, isTable, join, type Raw } from "./fields.ts";
import { k, readSection, section } from "./schema-kit.ts";
import type { Endpoint, TcpvsConfig } from "./types.ts";
import { describe, parseCidr, parseEndpoint } from "./values.ts";
import { duplicateVrids, vrrpSection } from "./vrrp-schema.ts";

export const SCHEDULERS: readonly string[] = schedulerNames;

function isLoopback(host: string): boolean {
  const ip = parseIp(host);
  return ip !== undefined && isLoopbackIp(ip);
}

export const globalSection = section(
  "global",
  {
    control: k.endpoint({
      doc: "control channel (`tcpvs status`); a unix socket (mode 0600) or a loopback TCP address",
      def: "unix:/run/tcpvs/control.sock",
    }),
    control_token_file: k.string({
      type: "path",
      doc: "file holding the control token; required for a non-loopback `control`",
    }),
    control_allow_remote: k.bool({
      doc: "allow a non-loopback `control` address (still needs a token)",
      def: false,
    }),
    metrics: k.endpoint({ doc: "Prometheus listener; `GET /metrics`" }),
    log_level: k.string({
      doc: "the `--log-level` flag wins",
      oneOf: ["debug", "info", "warn", "error"],
      def: "info",
    }),
    log_format: k.string({ doc: "the `--log-format` flag wins", oneOf: ["text", "json"], def: "text" }),
    grace: k.duration({ doc: "how long SIGTERM waits for requests in flight", def: "10s" }),
    router_id: k.string({
      doc: "names this node in logs and notify lines",
      def: () => hostname(),
      defaultText: "host name",
    }),
    // PLACEHOLDER default, to be decided by the lead when the held-bytes budget lands.
    max_held_bytes: k.size({
      doc: "bytes held in buffers for slow peers across all connections; past it, the largest holders are closed (default provisional)",
      def: "64MiB",
    }),
  },
  [
    (g, at) => {
      const c = g.control;
      if (c.kind !== "inet" || isLoopback(c.host)) return;
      if (!g.control_allow_remote)
        at(
          "control",
          `refusing non-loopback control address "${c.text}": set control_allow_remote = true and control_token_file`,
        );
      else if (!g.control_token_file)
        at("control_token_file", `a non-loopback control address "${c.text}" needs control_token_file`);
    },
  ],
);

/** "Name" (present) or "Name: regex", or a table { name, regex }. */
function readMatcher(f: Fields, v: unknown, p: string): { name: string; regex?: string } {
  if (typeof v !== "string") return readSection(f, matcherSection, v, p);
  const key = p.slice(p.lastIndexOf(".") + 1);
  const colon = v.indexOf(":");
  const name = (colon < 0 ? v : v.slice(0, colon)).trim();
  if (!name) f.error(p, `invalid ${key} matcher "${v}": expected "NAME" or "NAME: REGEX"`);
  if (colon < 0) return { name };
  const regex = f.regex({ [key]: v.slice(colon + 1).trim() }, key, p.slice(0, p.lastIndexOf(".")));
  return regex === undefined ? { name } : { name, regex };
}

const matcherSection = section("matcher", {
  name: k.string({ doc: "header, cookie or parameter name", required: true }),
  regex: k.regex({ doc: "what its value must match" }),
});

const matcher = (what: string) =>
  k.custom({
    doc: `${what} is present / its value matches`,
    type: '`"Name"`, `"Name: regex"` or `{ name, regex }`',
    read: readMatcher,
  });

export const ruleSection = section(
  "virtual_server.rule",
  {
    path: k.string({ doc: "the path exactly (without the query)" }),
    path_prefix: k.string({ doc: "the path's beginning" }),
    path_regex: k.regex({ doc: "the path (compiled once at load)" }),
    host: k.string({
      doc: 'the Host header (or an absolute-form target\'s authority, which wins), exactly or `"*.example.com"` (any subdomain), case-insensitive, port ignored',
      map: (s) => s.toLowerCase(),
    }),
    method: k.strings({ doc: "the request method", each: (_f, s) => s.toUpperCase() }),
    header: matcher("a header"),
    cookie: matcher("a cookie"),
    query: matcher("a query parameter"),
    source: k.strings({
      doc: "the client address",
      type: "CIDR or array",
      each: (f, s, p) => {
        const r = parseCidr(s);
        if (!r.ok) f.error(p, r.error);
        return s;
      },
    }),
    hash_capture: k.custom({
      doc: "a capture group of `path_regex` used as the hash key for hashing schedulers (KTCPVS `hhttp`)",
      type: "name or number",
      read: (f, v, p): string | number => {
        if (typeof v === "string" || typeof v === "number") return v;
        f.error(p, "expected a capture group name or number");
        return undefined as never;
      },
    }),
    pool: k.string({ doc: "where matching requests go", required: true }),
  },
  [
    (r, at, raw) => {
      if (r.hash_capture !== undefined && !r.path_regex) {
        // A path_regex written but refused is reported already.
        if (raw.path_regex === undefined || r.path_regex !== undefined)
          at("hash_capture", "hash_capture needs path_regex in the same rule");
        delete r.hash_capture;
      }
    },
  ],
);

const PROTOCOL_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/** The protocol names a request may Upgrade to (RFC 9110 7.8 tokens), lower-cased. */
function readUpgradeProtocols(f: Fields, v: unknown, p: string): string[] {
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

export const virtualServerSection = section("virtual_server", {
  name: k.string({ doc: "unique", required: true }),
  listen: k.custom({
    doc: "unique across virtual servers",
    type: "address or array",
    required: true,
    def: () => [],
    read: (f, v, p): Endpoint[] =>
      f.strings({ listen: v }, "listen", p.slice(0, -".listen".length)).flatMap((text, i) => {
        const r = parseEndpoint(text);
        if (r.ok) return [r.value];
        f.error(join(p, i), r.error);
        return [];
      }),
  }),
  mode: k.string({
    doc: "`http` (parse and route every request) or `tcp` (relay bytes)",
    oneOf: ["http", "tcp"],
    def: "http",
  }),
  pool: k.string({ doc: "default pool: used when no rule matches", required: true }),
  rule: k.tables(ruleSection, { doc: "routing rules, tried in file order (below)" }),
  max_connections: k.int({
    doc: "client connections per virtual server; more are refused",
    def: 10_000,
    min: 1,
  }),
  client_header_timeout: k.duration({
    doc: "time to receive a whole request head (slowloris), and a chunked body held before forwarding (up to 64 KiB): 408",
    def: "10s",
    min: 1,
  }),
  client_keepalive_timeout: k.duration({
    doc: "idle time between requests on a client connection",
    def: "60s",
    min: 1,
  }),
  idle_timeout: k.duration({
    doc: "TCP mode and upgraded (WebSocket) tunnels: idle time before close",
    def: "5m",
    min: 1,
  }),
  server_connect_timeout: k.duration({
    doc: "connecting to a server; then retry or 502/503",
    def: "3s",
    min: 1,
  }),
  server_response_timeout: k.duration({
    doc: "waiting for a server's response head: 504",
    def: "30s",
    min: 1,
  }),
  // Being added on another branch in the old style; described here so the merge is a deletion there.
  server_timeout: k.duration({
    doc: "a server silent this long while a response is due: closed",
    def: "30s",
    min: 1,
  }),
  client_timeout: k.duration({
    doc: "a client silent this long while a request is due: closed",
    def: "30s",
    min: 1,
  }),
  upgrade_protocols: k.custom({
    doc: 'protocols a request may `Upgrade` to, by name (case-insensitive, no version: `"websocket"`, `"h2c"`). Others are removed from the request\'s `Upgrade` list; with none left the request goes to the server as an ordinary one, without `Upgrade`, `Connection` or the fields `Connection` names (`HTTP2-Settings`), and a `101` answering it is a 502, never a tunnel; so is a `101` naming a protocol the request did not offer. An allowed `h2c` keeps its `HTTP2-Settings`. `[]` turns WebSocket off too',
    type: "array of strings",
    def: () => ["websocket"],
    defaultText: '`["websocket"]`',
    read: readUpgradeProtocols,
  }),
  max_header_size: k.int({
    doc: "request line + headers, bytes: 414 / 431",
    def: 16_384,
    min: 256,
    max: 1_048_576,
  }),
  max_headers: k.int({ doc: "header fields per request: 431", def: 100, min: 1, max: 10_000 }),
  max_body_size: k.int({ doc: "request body bytes, 0 = unlimited: 413", def: 0, min: 0 }),
  retries: k.int({
    doc: "other servers tried when a connection fails before any byte reached a server",
    def: 2,
    min: 0,
    max: 10,
  }),
  x_forwarded_for: k.bool({ doc: "append the client address to `X-Forwarded-For`", def: true }),
  x_forwarded_proto: k.bool({ doc: "set `X-Forwarded-Proto`", def: true }),
  forwarded: k.bool({ doc: "append an RFC 7239 `Forwarded` element", def: false }),
  proxy_protocol: k.int({
    doc: "send a PROXY protocol header (1 or 2) on each server connection",
    def: 0,
    oneOf: [0, 1, 2],
  }),
  access_log: k.bool({ doc: "one log line per request", def: false }),
});

export const serverSection = section("pool.NAME.server", {
  name: k.string({
    doc: "unique in the pool; how `tcpvs status` names it",
    defaultFrom: (t) => (t.address as { text: string }).text,
    defaultText: "the address",
  }),
  address: k.endpoint({ doc: "where the server listens", required: true, def: "unix:/invalid" }),
  weight: k.int({
    doc: "0 = quiescent: no new connections, existing ones finish",
    def: 1,
    min: 0,
    max: 65_535,
  }),
  backup: k.bool({ doc: "used only while every non-backup server is down", def: false }),
  max_connections: k.int({ doc: "0 = unlimited; a server at its limit is skipped", def: 0, min: 0 }),
});

export const poolSection = section(
  "pool.NAME",
  {
    scheduler: k.string({
      doc: "see [schedulers.md](schedulers.md)",
      oneOf: schedulerNames as readonly string[],
      def: "wlc",
    }),
    scheduler_options: k.custom({
      doc: "per-scheduler options: `key` (what hashing schedulers hash: source, uri, header, cookie, query, capture), `table_size`, `fallback`, `load_factor`, `cookie` (insert a persistence cookie), `persistence_table_size`, `expire_quiescent` …; see [schedulers.md](schedulers.md)",
      type: "table",
      def: () => ({}),
      defaultText: "`{}`",
      read: (f, v, p): Record<string, unknown> => {
        if (isTable(v)) return v;
        f.error(p, "expected a table");
        return {};
      },
    }),
    persistence_timeout: k.duration({
      doc: "LVS persistence: a client keeps its server for this long after its last request",
      def: "0s",
      defaultText: "`0` (off)",
    }),
    persistence_granularity: k.string({
      type: "netmask",
      doc: 'clients sharing this prefix share a server (IPv6: a prefix length such as `"64"`)',
      def: "255.255.255.255",
    }),
    sorry_server: k.endpoint({
      doc: "where traffic goes while the pool has lost quorum (keepalived `sorry_server`)",
    }),
    quorum: k.int({ doc: "sum of live servers' weights needed for the pool to be up", def: 1, min: 0 }),
    hysteresis: k.int({
      doc: "quorum is lost below `quorum - hysteresis` and regained at `quorum + hysteresis`",
      def: 0,
      min: 0,
    }),
    inhibit_on_failure: k.bool({
      doc: "a failed server stays in the pool at weight 0 instead of being removed",
      def: false,
    }),
    notify_up: k.string({
      type: "command",
      doc: "run when a server comes up; see [checks.md](checks.md) for arguments",
    }),
    notify_down: k.string({
      type: "command",
      doc: "run when a server goes down; see [checks.md](checks.md)",
    }),
    server: k.tables(serverSection, { doc: "the servers (below)" }),
    check: k.tables(checkSection, { doc: "health checks (below); a server is up while all pass" }),
  },
  [
    (p, at, _raw, path) => {
      const name = path.slice("pool.".length);
      if (p.server.length === 0)
        at("server", `pool "${name}" has no servers: add a [[${path}.server]] with an address`);
    },
    (p, at) => {
      const seen = new Map<string, number>();
      p.server.forEach((s, i) => {
        const first = seen.get(s.name);
        if (first !== undefined)
          at(`server[${i}]`, `duplicate server name "${s.name}" (also server[${first}])`);
        else seen.set(s.name, i);
      });
    },
    (p, at, raw) => {
      if (raw.scheduler !== undefined && !schedulerNames.includes(raw.scheduler as string)) return;
      for (const msg of validateSchedulerOptions(p.scheduler, p.scheduler_options)) {
        // Point at the option's own line when the message names it.
        const key = /option "([^"]+)"/.exec(msg)?.[1];
        at(key && key in p.scheduler_options ? `scheduler_options.${key}` : "scheduler_options", msg);
      }
    },
    (p, at) => {
      for (const msg of validatePersistence(p.persistence_timeout, p.persistence_granularity))
        at("persistence_granularity", msg);
    },
  ],
);

function hintPool(pools: Record<string, unknown>): string {
  const known = Object.keys(pools);
  if (known.length === 0) return "; no [pool.NAME] tables exist";
  return `; defined pools: ${known.map((n) => `"${n}"`).join(", ")}`;
}

export const configSection = section(
  "",
  {
    global: k.table(globalSection, { doc: "process-wide settings" }),
    virtual_server: k.tables(virtualServerSection, { doc: "listeners and their routing" }),
    pool: k.named(poolSection, { doc: "server pools" }),
    vrrp: k.named(vrrpSection, { doc: "VRRP instances" }),
  },
  [
    (cfg, at) => {
      const names = new Map<string, number>();
      cfg.virtual_server.forEach((vs, i) => {
        const path = `virtual_server[${i}]`;
        const first = names.get(vs.name);
        if (first !== undefined)
          at(`${path}.name`, `duplicate virtual_server name "${vs.name}" (also virtual_server[${first}])`);
        else names.set(vs.name, i);
        const refs: Array<[string, string]> = [
          [`${path}.pool`, vs.pool],
          ...vs.rule.map((r, j): [string, string] => [`${path}.rule[${j}].pool`, r.pool]),
        ];
        for (const [p, pool] of refs)
          if (pool && !cfg.pool[pool]) at(p, `pool "${pool}" is not defined${hintPool(cfg.pool)}`);
      });
    },
    (cfg, at) => {
      const listens = new Map<string, string>();
      cfg.virtual_server.forEach((vs, i) => {
        vs.listen.forEach((l, j) => {
          const other = listens.get(l.text);
          if (other)
            at(`virtual_server[${i}].listen[${j}]`, `address "${l.text}" is already used by ${other}`);
          else listens.set(l.text, `virtual_server "${vs.name}"`);
        });
      });
    },
    (cfg, at) => duplicateVrids(cfg.vrrp, at),
    (cfg, at) => {
      for (const [name, inst] of Object.entries(cfg.vrrp)) {
        inst.track_pool.forEach((tp, i) => {
          if (!cfg.pool[tp.name])
            at(`vrrp.${name}.track_pool[${i}]`, `pool "${tp.name}" is not defined${hintPool(cfg.pool)}`);
        });
      }
    },
  ],
);

/** Validate a parsed TOML document; problems go to `f.issues`, the result is always complete. */
export function readConfig(f: Fields, raw: Raw, file: string): TcpvsConfig {
  return { file, ...readSection(f, configSection, raw, "") };
}
