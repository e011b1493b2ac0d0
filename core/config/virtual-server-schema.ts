// [[virtual_server]] and its [[virtual_server.rule]]s: a listener set, its limits and timeouts, and the
// rules that route a request to a pool, each key described once (see schema-kit.ts).

import {
  ACTIONS,
  errorPagesKey,
  limitKeys,
  ruleActionKeys,
  ruleHeaderKeys,
  vsHeaderKeys,
} from "./actions-schema.ts";
import { type Fields, join } from "./fields.ts";
import { readSection, section, writeSection } from "./schema-kit.ts";
import { k } from "./schema-keys.ts";
import { listenerTlsKey, sniKey } from "./tls-schema.ts";
import type { Endpoint } from "./types.ts";
import { describe, parseCidr, parseEndpoint } from "./values.ts";

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

// What a request is matched on: in rules, in `not`, in limits.
const matcherKeys = {
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
  sni: sniKey,
};

const notSection = section("virtual_server.rule.not", matcherKeys);

const notKey = k.custom({
  doc: 'matchers that must NOT all match: `not = { source = "10.0.0.0/8" }`',
  type: "table",
  read: (f, v, p) => readSection(f, notSection, v, p),
  write: (v: unknown) => writeSection(notSection, v),
});

export const limitSection = section("virtual_server.limit", { ...limitKeys, ...matcherKeys, not: notKey });

export const ruleSection = section(
  "virtual_server.rule",
  {
    ...matcherKeys,
    not: notKey,
    hash_capture: k.custom({
      doc: "a capture group of `path_regex` used as the hash key for hashing schedulers (KTCPVS `hhttp`)",
      type: "name or number",
      read: (f, v, p): string | number => {
        if (typeof v === "string" || typeof v === "number") return v;
        f.error(p, "expected a capture group name or number");
        return undefined as never;
      },
    }),
    pool: k.string({ doc: "action: where matching requests go" }),
    ...ruleActionKeys,
    ...ruleHeaderKeys,
  },
  [
    (r, at) => {
      const acts = ACTIONS.filter((a) => r[a] !== undefined);
      if (acts.length !== 1)
        at(
          acts[1] ?? "",
          acts.length === 0
            ? "a rule needs one action: pool, redirect, deny or return"
            : `a rule has one action, not ${acts.join(" and ")}: split it into two rules`,
        );
    },
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

export const virtualServerSection = section(
  "virtual_server",
  {
    name: k.string({ doc: "unique", required: true }),
    listen: k.custom({
      doc: "unique across virtual servers",
      type: "address or array",
      required: true,
      def: () => [],
      write: (list: Endpoint[]) => list.map((e) => e.text),
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
    ...vsHeaderKeys,
    error_pages: errorPagesKey,
    limit: k.tables(limitSection, { doc: "rate limits, each checked on every request it matches (below)" }),
    max_connections_per_source: k.int({
      doc: "HTTP mode: client connections from one address (after PROXY), counted over all workers; more are closed at once. 0 = unlimited",
      def: 0,
      min: 0,
    }),
    worker_by_source: k.bool({
      doc: "with more than one worker (`[global] workers`): all connections from one client address go to one worker (the port's SO_REUSEPORT group hashes the source address instead of the 4-tuple), so a TLS session resumes on any of them; a few client addresses (a front tier, a NAT) then load only a few workers",
      def: false,
    }),
    accept_proxy: k.strings({
      doc: "HTTP mode: connections from these sources must begin with a PROXY v1 or v2 header, whose address becomes the client's (X-Forwarded-For, `source` rules, persistence, limits, logs); connections from elsewhere are refused, a missing or malformed header closes the connection (`reject.proxy_source`, `reject.proxy_header`)",
      type: "CIDR or array",
      def: () => [],
      defaultText: "`[]`",
      each: (f, s, p) => {
        const r = parseCidr(s);
        if (!r.ok) f.error(p, r.error);
        return s;
      },
    }),
    max_connections: k.int({
      doc: "client connections per virtual server; more wait in the kernel's accept queue, and near the limit the oldest idle keep-alive connections are closed to admit them (see [below](#connection-limits-and-file-descriptors))",
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
      doc: "TCP mode and upgraded (WebSocket) tunnels only: no byte either way for this long closes the connection. HTTP exchanges use `server_timeout` and `client_timeout`",
      def: "5m",
      min: 1,
    }),
    server_connect_timeout: k.duration({
      doc: "connecting to a server; then retry or 502/503",
      def: "3s",
      min: 1,
    }),
    server_response_timeout: k.duration({
      doc: "waiting for a server's response head (after the request was sent, or while the server takes none of its body): 504",
      def: "30s",
      min: 1,
    }),
    server_timeout: k.duration({
      doc: "HTTP mode: a server that sends no byte of a response in progress (after its head) for this long; the client's connection is cut, the server charged with an error, a WARN logged (one per server per interval) and the access line gets `term=server_timeout`. Re-armed by each byte. While the client is not reading, `client_timeout` applies instead",
      def: "30s",
      min: 1,
    }),
    client_timeout: k.duration({
      doc: "HTTP mode: a client that sends no byte of a request body being forwarded (408), or takes no byte of a response or of a closing answer (cut), for this long. Re-armed by each byte. Not the server's fault: no server error counted",
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
    access_log: k.custom({
      doc: 'one log line per request (`true`), also sent as RFC 5424 over UDP with `"syslog:HOST:PORT"`. It carries the client (after PROXY), rule number, pool, server, status, bytes in and out, timings (`t_head` `t_queue` `t_connect` `t_server` `ms`), retries, and for a request that did not end normally `term`: `client_abort`, `client_timeout`, `server_timeout`, `server_reset`, `server_bad_response`, `bad_request`, `denied` (a deny rule), `limited` (a rate limit), `queue_timeout`, `shutdown`',
      type: 'bool or `"syslog:HOST:PORT"`',
      def: false,
      read: (f, v, p): boolean | { syslog: Endpoint } => {
        if (typeof v === "boolean") return v;
        if (typeof v === "string" && v.startsWith("syslog:")) {
          const r = parseEndpoint(v.slice("syslog:".length));
          if (r.ok && r.value.kind === "inet") return { syslog: r.value };
          f.error(p, r.ok ? `syslog needs HOST:PORT, not "${v}"` : r.error);
          return false;
        }
        f.error(p, `expected true, false or "syslog:HOST:PORT", got ${describe(v)}`);
        return false;
      },
      write: (v: boolean | { syslog: Endpoint }) => (typeof v === "boolean" ? v : `syslog:${v.syslog.text}`),
    }),
    tls: listenerTlsKey,
  },
  [
    (vs, at) => {
      if (vs.mode !== "tcp") return;
      // These read HTTP requests or are applied where an HTTP connection is admitted.
      const set = {
        accept_proxy: vs.accept_proxy.length > 0,
        max_connections_per_source: vs.max_connections_per_source > 0,
        limit: vs.limit.length > 0,
        error_pages: Object.keys(vs.error_pages).length > 0,
      };
      for (const [key, on] of Object.entries(set))
        if (on) at(key, `${key} works in HTTP mode only: remove it or set mode = "http"`);
    },
  ],
);
