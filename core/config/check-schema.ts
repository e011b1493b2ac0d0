// [pool.NAME.check]: one description serves the config file, the `tcpvs check` flags (same names) and
// each check type's option list. `for` names the types that read a key; without it every type does.

import { canonicalIp, ipFamily, parseIp } from "../net/ip.ts";
import { type Fields, join } from "./fields.ts";
import { section } from "./schema-kit.ts";
import { k } from "./schema-keys.ts";

export const CHECK_TYPE_NAMES = [
  "tcp",
  "http",
  "https",
  "smtp",
  "dns",
  "icmp",
  "udp",
  "script",
  "expect",
] as const;

const WEB = ["http", "https"];

/** `200`, `"200-399"` or an array of them, as [low, high] ranges. */
export function readStatus(f: Fields, v: unknown, path: string): Array<[number, number]> {
  const items = Array.isArray(v) ? v : [v];
  return items.flatMap((item, i): Array<[number, number]> => {
    if (typeof item === "number" && Number.isInteger(item) && item >= 100 && item <= 599)
      return [[item, item]];
    const m = typeof item === "string" ? /^(\d{3})-(\d{3})$/.exec(item) : null;
    if (m && Number(m[1]) <= Number(m[2]) && Number(m[1]) >= 100 && Number(m[2]) <= 599)
      return [[Number(m[1]), Number(m[2])]];
    f.error(
      Array.isArray(v) ? join(path, i) : path,
      `invalid status ${JSON.stringify(item)}: expected a code 100-599 or a range "200-399"`,
    );
    return [];
  });
}

const step = section("pool.NAME.check.steps", {
  send: k.string({ doc: "text to send" }),
  expect: k.regex({ doc: "what the reply must match" }),
});

export const checkSection = section(
  "pool.NAME.check",
  {
    type: k.string({
      doc: "the check type",
      oneOf: CHECK_TYPE_NAMES,
      required: true,
      def: "tcp",
      flag: false,
    }),
    interval: k.duration({
      doc: "time between checks",
      def: "2s",
      min: 10,
      aliases: [{ key: "delay_loop" }],
      flag: false,
    }),
    timeout: k.duration({
      doc: "how long one check may take; shorter than `interval`",
      def: "1s",
      min: 1,
      aliases: [{ key: "connect_timeout" }],
    }),
    rise: k.int({ doc: "consecutive successes to go up", def: 1, min: 1, max: 100, flag: false }),
    fall: k.int({ doc: "consecutive failures to go down", def: 1, min: 1, max: 100, flag: false }),
    retry: k.int({
      doc: "keepalived: a failed check is retried this many times before it counts",
      def: 0,
      min: 0,
      max: 100,
      flag: false,
    }),
    delay_before_retry: k.duration({ doc: "wait before a retry", def: "1s", flag: false }),
    alpha: k.bool({ doc: "start down until proven up (default: start up)", def: false, flag: false }),
    port: k.int({
      doc: "check another port than the server's",
      min: 1,
      max: 65_535,
      aliases: [{ key: "connect_port" }],
    }),
    connect_ip: k.string({
      type: "address",
      doc: "check this address instead of the server's (keepalived `connect_ip`)",
      map: (s) => (ipFamily(s) ? canonicalIp(s) : s),
    }),
    bindto: k.string({
      type: "address",
      doc: "the check's source address (keepalived `bindto`); not for `icmp` and `script`",
      map: (s) => (ipFamily(s) ? canonicalIp(s) : s),
    }),
    bind_port: k.int({
      doc: "the check's source port (keepalived `bind_port`); not for `icmp` and `script`",
      min: 1,
      max: 65_535,
    }),
    warmup: k.duration({
      doc: "the first check waits a random delay up to this (`0`: at once); default: up to `interval` (1 s for `alpha`)",
      flag: false,
    }),
    method: k.string({ doc: "request method", def: "GET", map: (s) => s.toUpperCase(), for: WEB }),
    path: k.string({ doc: "request path (and query)", def: "/", for: WEB }),
    host: k.string({ doc: "Host header; default: the server's address", for: WEB }),
    status: k.custom({
      doc: 'accepted status codes: 200, "200-399" or a list (on the command line: 200,301-302)',
      flag: { arg: "CODES" },
      type: "status",
      def: () => [[200, 299]],
      defaultText: '`"200-299"`',
      read: (f, v, path) => readStatus(f, v, path),
      write: (ranges: Array<[number, number]>) => ranges.map(([lo, hi]) => (lo === hi ? lo : `${lo}-${hi}`)),
      fromText: (s) => s.split(",").map((p) => (/^\d+$/.test(p.trim()) ? Number(p) : p.trim())),
      for: WEB,
    }),
    body_regex: k.regex({ doc: "the body must match", for: WEB }),
    digest: k.string({
      type: "32 hex digits",
      flag: { arg: "MD5HEX" },
      doc: "MD5 of the body, 32 hex digits, as keepalived's `genhash` prints it",
      for: WEB,
    }),
    tls_verify: k.bool({
      doc: "verify the server's certificate",
      def: true,
      for: ["https"],
      flag: { names: ["insecure"], invert: true },
    }),
    tls: k.bool({
      doc: "speak TLS: an `http` check of a pool with `[pool.NAME.tls]` is run over TLS unless `false` (HAProxy `no-check-ssl`), e.g. for a plain health port",
      defaultText: "the pool's",
      for: WEB,
      flag: false,
    }),
    sni: k.string({ doc: "TLS server name; default: `host`", for: ["https"] }),
    http_version: k.string({ doc: "request version", oneOf: ["1.0", "1.1"], def: "1.1", for: WEB }),
    helo_name: k.string({ doc: "name sent in EHLO/HELO", def: "tcpvs.localdomain", for: ["smtp"] }),
    name: k.string({ doc: "the name queried", def: ".", for: ["dns"] }),
    record_type: k.string({
      doc: "the record type queried",
      def: "SOA",
      map: (s) => s.toUpperCase(),
      for: ["dns"],
      flag: { names: ["type"] },
    }),
    expect_answer: k.string({ doc: "an answer record must read exactly this", for: ["dns"] }),
    send: k.string({
      doc: "payload sent (on the command line: \\r \\n \\xHH escapes; pairs with --expect in order)",
      for: ["udp", "expect"],
      flag: { multiple: true },
    }),
    expect: k.regex({ doc: "the reply must match", for: ["udp", "expect"], flag: { multiple: true } }),
    steps: k.tables(step, {
      doc: "a dialogue: `[{ send, expect }, …]` in order (on the command line: `--send`/`--expect` pairs)",
      for: ["expect"],
      flag: false,
    }),
    script: k.string({
      type: "command",
      doc: "command run by `/bin/sh -c`; exit 0 is up (keepalived MISC_CHECK)",
      for: ["script"],
    }),
    dynamic: k.bool({
      doc: "exit 2–255 is up with weight code − 2 (keepalived `misc_dynamic`)",
      def: false,
      for: ["script"],
    }),
  },
  [
    (c, at) => {
      if (c.digest !== undefined && !/^[0-9a-fA-F]{32}$/.test(c.digest))
        at("digest", `invalid digest "${c.digest}": expected 32 hex digits (MD5)`);
    },
    (c, at) => {
      if (c.type === "script" && !c.script) at("script", 'a "script" check needs script = "COMMAND"');
    },
    (c, at) => {
      if ((c.bindto !== undefined || c.bind_port !== undefined) && (c.type === "icmp" || c.type === "script"))
        at(
          c.bindto !== undefined ? "bindto" : "bind_port",
          `a "${c.type}" check has no source to bind: remove it`,
        );
      if (c.bindto === undefined) return;
      const ip = parseIp(c.bindto);
      if (!ip || ip.zone !== undefined)
        at("bindto", `invalid address "${c.bindto}": expected an IPv4 or IPv6 address of this host`);
    },
    (c, at) => {
      if (c.connect_ip === undefined) return;
      const ip = parseIp(c.connect_ip);
      if (!ip || ip.zone !== undefined)
        at("connect_ip", `invalid address "${c.connect_ip}": expected an IPv4 or IPv6 address`);
    },
    (c, at) => {
      if (c.tls === false && c.type === "https")
        at("tls", 'an "https" check speaks TLS: use type = "http" for a plain check');
    },
    (c, at) => {
      if (c.type === "expect" && c.steps.length === 0 && !c.send && !c.expect)
        at("steps", 'an "expect" check needs steps (or send/expect)');
    },
  ],
  [
    (c, at) => {
      if (c.timeout >= c.interval)
        at("timeout", `timeout (${c.timeout} ms) must be shorter than interval (${c.interval} ms)`);
    },
  ],
);

/** The keys a check type reads, besides those every type reads. */
export function checkKeysFor(type: string): string[] {
  return Object.entries(checkSection.keys)
    .filter(([, key]) => key.for?.includes(type))
    .map(([name]) => name);
}
