// keepalived's checker blocks (TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK, MISC_CHECK,
// PING_CHECK, UDP_CHECK) as tcpvs [[pool.NAME.check]] tables. keepalived's defaults are written out
// (delay_loop 60 s, connect_timeout 5 s, retry 1 ...) so the imported checks behave as the old ones.

import { dropKnown, duration, family, type ImportContext, integer, seconds, word } from "./import-context.ts";
import { miscCheck, udpCheck } from "./convert-misc-checks.ts";
import type { KNode } from "./keepalived-parser.ts";
import type { Table, TomlValue } from "./toml-writer.ts";

/** The real server a checker belongs to. */
export interface RealAddress {
  ip: string;
  port: number;
}

/** Values a virtual_server or real_server passes down to its checkers. */
export interface CheckDefaults {
  interval: number;
  timeout?: number;
  retry?: number;
  delayBeforeRetry?: number;
  alpha: boolean;
  host?: string;
  warmup?: number;
}

export const CHECKERS = [
  "TCP_CHECK",
  "HTTP_GET",
  "SSL_GET",
  "SMTP_CHECK",
  "DNS_CHECK",
  "MISC_CHECK",
  "PING_CHECK",
  "UDP_CHECK",
  "FILE_CHECK",
  "BFD_CHECK",
];

const COMMON_UNSUPPORTED: Record<string, string> = {
  bind_if: "tcpvs binds a check to an address (bindto), not to an interface",
  fwmark: "tcpvs does not mark check packets",
  log_all_failures: "tcpvs logs transitions, not each failed run",
};
// keepalived's MISC_CHECK opens no connection and does not read these; tcpvs's script check neither.
const NO_CONNECTION = ["connect_ip", "connect_port", "bindto", "bind_port"];

/** connect_ip / bindto: an IP address (bindto: one tcpvs can bind, so not link-local). */
function address(ctx: ImportContext, k: KNode): string | undefined {
  const ip = k.args[0] ?? "";
  if (!family(ip)) {
    ctx.ledger.drop(k, `"${ip}" is not an IPv4 or IPv6 address`);
    return undefined;
  }
  if (k.keyword === "bindto" && /^fe[89ab]/i.test(ip)) {
    ctx.ledger.drop(
      k,
      "tcpvs binds a check to an address, not to an interface: a link-local source cannot be named",
    );
    return undefined;
  }
  ctx.ledger.use(k);
  return ip;
}

/** The timing keys every checker shares; `kind` picks keepalived's per-checker defaults. */
function timing(
  ctx: ImportContext,
  c: KNode,
  d: CheckDefaults,
  kind: string,
  rs: RealAddress,
): { t: Table; interval: number; resolved: CheckDefaults } {
  let interval = d.interval;
  let timeout = d.timeout;
  let retry = d.retry;
  let dbr = d.delayBeforeRetry;
  let alpha = d.alpha;
  let warmup = d.warmup;
  let port: number | undefined;
  let connectIp: string | undefined;
  let bindto: string | undefined;
  let bindPort: number | undefined;
  for (const k of c.children ?? []) {
    if (dropKnown(ctx, k, COMMON_UNSUPPORTED)) continue;
    if (kind === "MISC_CHECK" && NO_CONNECTION.includes(k.keyword)) {
      ctx.ledger.drop(k, "a MISC_CHECK opens no connection; keepalived does not read it there either");
      continue;
    }
    if (kind === "PING_CHECK" && (k.keyword === "bindto" || k.keyword === "bind_port")) {
      ctx.ledger.drop(k, "tcpvs's icmp check sends from the host's own address");
      continue;
    }
    if (k.keyword === "delay_loop") interval = seconds(ctx, k) ?? interval;
    else if (k.keyword === "connect_timeout") timeout = seconds(ctx, k);
    else if (k.keyword === "retry" || k.keyword === "nb_get_retry") retry = integer(ctx, k, 0, 100);
    else if (k.keyword === "delay_before_retry") dbr = seconds(ctx, k);
    else if (k.keyword === "warmup") warmup = seconds(ctx, k);
    else if (k.keyword === "alpha") {
      ctx.ledger.use(k);
      alpha = k.args[0] !== "no" && k.args[0] !== "false";
    } else if (k.keyword === "connect_port") {
      const p = integer(ctx, k, 1, 65535);
      // The server's own port is what tcpvs checks anyway; leaving it out keeps servers' checks alike.
      port = p === rs.port ? undefined : p;
    } else if (k.keyword === "connect_ip") {
      const ip = address(ctx, k);
      // As with connect_port: the server's own address is checked anyway; leaving it out keeps servers alike.
      connectIp = ip === rs.ip ? undefined : ip;
    } else if (k.keyword === "bindto") bindto = address(ctx, k);
    else if (k.keyword === "bind_port") bindPort = integer(ctx, k, 1, 65535);
  }
  // keepalived's defaults, per checker, where tcpvs's differ.
  retry ??= kind === "DNS_CHECK" ? 3 : kind === "MISC_CHECK" ? 0 : 1;
  dbr ??= kind === "HTTP_GET" || kind === "SSL_GET" ? 3000 : kind === "DNS_CHECK" ? interval : 1000;
  timeout ??= 5000;
  // A script's own timeout is settled in miscCheck.
  if (timeout >= interval && kind !== "MISC_CHECK") {
    const fit = Math.max(interval - 1000, Math.floor(interval / 2));
    ctx.ledger.note(
      c,
      `${c.keyword} connect_timeout`,
      `tcpvs needs a timeout shorter than the interval (${duration(interval)}): ${duration(timeout)} written as ${duration(fit)}`,
    );
    timeout = fit;
  }
  const t: Table = {
    interval: duration(interval),
    timeout: duration(timeout),
    retry,
    delay_before_retry: duration(dbr),
    alpha: alpha || undefined,
    port,
    connect_ip: connectIp,
    bindto,
    bind_port: bindPort,
    warmup: warmup === undefined ? undefined : duration(warmup),
  };
  return {
    t: definedOnly(t),
    interval,
    resolved: { interval, timeout, retry, delayBeforeRetry: dbr, alpha, host: d.host, warmup },
  };
}

function httpChecks(ctx: ImportContext, c: KNode, base: Table, d: CheckDefaults): Table[] {
  const tls = c.keyword === "SSL_GET";
  let host = d.host;
  let version: string | undefined;
  const urls: KNode[] = [];
  for (const k of c.children ?? []) {
    if (k.keyword === "url") urls.push(k);
    else if (k.keyword === "virtualhost") host = word(ctx, k);
    else if (k.keyword === "http_protocol") {
      const v = word(ctx, k);
      version = v === "1.1" ? "1.1" : "1.0";
    } else if (k.keyword === "enable_sni" && tls) ctx.ledger.use(k);
    else if (k.keyword === "fast_recovery") ctx.ledger.drop(k, "tcpvs checks each url on its own schedule");
  }
  if (urls.length === 0) {
    ctx.ledger.drop(c, "it has no url block");
    return [];
  }
  ctx.ledger.use(c);
  // keepalived requires every url to pass; tcpvs requires every check of a pool to pass.
  return urls.map((u) => {
    ctx.ledger.use(u);
    const t: Table = { type: tls ? "https" : "http", ...base };
    let urlHost = host;
    for (const k of u.children ?? []) {
      if (k.keyword === "path") t.path = word(ctx, k);
      else if (k.keyword === "digest") {
        if (/^[0-9a-fA-F]{32}$/.test(k.args[0] ?? "")) t.digest = word(ctx, k)?.toLowerCase();
        else
          ctx.ledger.drop(
            k,
            `"${k.args[0] ?? ""}" is not an MD5 digest (32 hex digits, as genhash prints it)`,
          );
      } else if (k.keyword === "virtualhost") urlHost = word(ctx, k);
      else if (k.keyword === "regex") t.body_regex = word(ctx, k);
      else if (k.keyword === "status_code") {
        const codes: TomlValue[] = [];
        for (const s of k.args) {
          if (/^\d{3}$/.test(s)) codes.push(Number(s));
          else if (/^\d{3}-\d{3}$/.test(s)) codes.push(s);
          else ctx.ledger.note(k, `status_code ${s}`, "expected a code or a range such as 200-299");
        }
        if (codes.length > 0) t.status = codes.length === 1 ? codes[0] : codes;
        ctx.ledger.use(k);
      } else if (k.keyword.startsWith("regex_"))
        ctx.ledger.drop(
          k,
          "tcpvs matches body_regex as a JavaScript regular expression, without PCRE options",
        );
    }
    t.host = urlHost;
    t.http_version = version;
    // keepalived's SSL_GET does not verify the server's certificate.
    if (tls) t.tls_verify = false;
    return t;
  });
}

/** SMTP_CHECK, with keepalived's old `host { connect_ip ... }` sub-blocks. */
function smtpChecks(ctx: ImportContext, c: KNode, base: Table, d: CheckDefaults, rs: RealAddress): Table[] {
  let helo: string | undefined;
  const hosts: KNode[] = [];
  for (const k of c.children ?? []) {
    if (k.keyword === "helo_name") helo = word(ctx, k);
    else if (k.keyword === "host") hosts.push(k);
  }
  ctx.ledger.use(c);
  if (hosts.length === 0) return [{ type: "smtp", ...base, helo_name: helo }];
  // keepalived requires every host to answer; tcpvs requires every check of a pool to pass.
  return hosts.flatMap((h) => {
    ctx.ledger.use(h);
    const { t } = timing(ctx, h, d, "SMTP_CHECK", rs);
    return [{ type: "smtp", ...base, ...t, helo_name: helo }];
  });
}

function definedOnly(t: Table): Table {
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined));
}

/** One checker block of a real_server as tcpvs checks (none when it cannot be carried over). */
export function convertChecker(ctx: ImportContext, c: KNode, d: CheckDefaults, rs: RealAddress): Table[] {
  const kind = c.keyword;
  if (kind === "FILE_CHECK") {
    ctx.ledger.drop(c, "tcpvs has no file checker; a script check can read the file");
    return [];
  }
  if (kind === "BFD_CHECK") {
    ctx.ledger.drop(c, "tcpvs has no BFD");
    return [];
  }
  const { t: base, resolved } = timing(ctx, c, d, kind, rs);
  if (kind === "HTTP_GET" || kind === "SSL_GET") return httpChecks(ctx, c, base, d);
  if (kind === "SMTP_CHECK") return smtpChecks(ctx, c, base, resolved, rs);
  ctx.ledger.use(c);
  if (kind === "TCP_CHECK") return [{ type: "tcp", ...base }];
  if (kind === "PING_CHECK") {
    if (family(rs.ip) === 6) {
      ctx.ledger.drop(c, "tcpvs's icmp check is IPv4 only");
      return [];
    }
    return [{ type: "icmp", ...base, port: undefined }];
  }
  if (kind === "DNS_CHECK") {
    const t2: Table = { type: "dns", ...base };
    for (const k of c.children ?? []) {
      if (k.keyword === "type") t2.record_type = word(ctx, k)?.toUpperCase();
      else if (k.keyword === "name") t2.name = word(ctx, k);
    }
    return [t2];
  }
  if (kind === "MISC_CHECK") return [miscCheck(ctx, c, base, resolved.interval)];
  return [udpCheck(ctx, c, base)];
}
