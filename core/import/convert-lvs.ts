// keepalived's virtual_server (and virtual_server_group) as a tcpvs [[virtual_server]] with its
// [pool.NAME]. IPVS forwards packets; tcpvs is a proxy, so a virtual server becomes a listener on the
// same address and port (TCP mode, or HTTP mode for the ports the operator names) and the real servers
// a pool with the same scheduler, persistence, quorum and checks.

import { SCHEDULERS } from "../config/schema.ts";
import { parseGranularity } from "../sched/ipKey.ts";
import { type CheckDefaults, CHECKERS, convertChecker } from "./convert-checks.ts";
import {
  dropKnown,
  duration,
  family,
  from,
  hostPort,
  type ImportContext,
  integer,
  NO_EMAIL,
  safeName,
  seconds,
  word,
} from "./import-context.ts";
import type { KNode } from "./keepalived-parser.ts";
import type { Table } from "./toml-writer.ts";

const IPVS_FLAGS = "tcpvs's schedulers take scheduler_options, not IPVS flags; see docs/schedulers.md";
const VS_UNSUPPORTED: Record<string, string> = {
  ops: "one-packet scheduling is for UDP; tcpvs relays TCP connections",
  "flag-1": IPVS_FLAGS,
  "flag-2": IPVS_FLAGS,
  "flag-3": IPVS_FLAGS,
  "sh-port": IPVS_FLAGS,
  "sh-fallback": IPVS_FLAGS,
  "mh-port": IPVS_FLAGS,
  "mh-fallback": IPVS_FLAGS,
  persistence_engine: "tcpvs has no SIP persistence engine",
  ha_suspend: "tcpvs runs checks whether or not the VIP is present",
  omega: "tcpvs runs no notify scripts at shutdown (omega comes with issue 19 part 2)",
  quorum_up:
    "tcpvs has no quorum scripts yet (issue 19 part 2); a track_pool in [vrrp.NAME] can act on quorum",
  quorum_down:
    "tcpvs has no quorum scripts yet (issue 19 part 2); a track_pool in [vrrp.NAME] can act on quorum",
  smtp_alert: NO_EMAIL,
  snmp_name: "tcpvs has no SNMP; see tcpvs status and the metrics listener",
  sorry_server_inhibit: "tcpvs sends traffic to the sorry server only while the pool has lost quorum",
  sorry_server_lvs_method: "tcpvs is a proxy: it connects to the sorry server itself",
  ip_family: "only a fwmark service needs it",
  warmup: "tcpvs spreads first checks over the first interval; warmup comes with issue 19 part 2",
};
const RS_UNSUPPORTED: Record<string, string> = {
  lthreshold: "tcpvs uses a server again as soon as it is below max_connections",
  smtp_alert: NO_EMAIL,
  snmp_name: "tcpvs has no SNMP; see tcpvs status and the metrics listener",
  warmup: VS_UNSUPPORTED.warmup!,
};
const PROXY =
  "tcpvs is a proxy, so servers see the director's address unless proxy_protocol is used and the application reads it";

/** lb_kind / lvs_method: only NAT keeps its meaning (replies come back through the director). */
function forwarding(ctx: ImportContext, k: KNode, http: boolean): void {
  const kind = k.args[0] ?? "";
  if (kind === "NAT" && http)
    ctx.ledger.use(k); // X-Forwarded-For carries the client's address.
  else if (kind === "NAT") {
    ctx.ledger.use(k);
    ctx.ledger.note(k, `${k.keyword} NAT`, PROXY);
  } else ctx.ledger.drop(k, `${PROXY}; replies come back through tcpvs`, `${k.keyword} ${kind}`.trim());
}

/** "192.168.200.3-10" -> 192.168.200.3 ... .10; "ae00::2-9" likewise on the last group. */
function expandRange(text: string): string[] | undefined {
  const m = /^(.*[.:])([0-9a-fA-F]+)-([0-9a-fA-F]+)$/.exec(text);
  if (!m) return family(text) ? [text] : undefined;
  const v6 = m[1]!.includes(":");
  const base = v6 ? 16 : 10;
  const lo = Number.parseInt(m[2]!, base);
  const hi = Number.parseInt(m[3]!, base);
  if (!(hi >= lo) || hi - lo > 255) return undefined;
  const out: string[] = [];
  for (let i = lo; i <= hi; i++) out.push(m[1] + i.toString(base));
  return out.every((a) => family(a)) ? out : undefined;
}

/** The listen addresses of `virtual_server group NAME`. */
function groupListens(ctx: ImportContext, g: KNode): string[] {
  ctx.ledger.use(g);
  const out: string[] = [];
  for (const e of g.children ?? []) {
    if (e.keyword === "fwmark") {
      ctx.ledger.drop(e, "tcpvs listens on addresses and ports; it does not see firewall marks", "fwmark");
      continue;
    }
    const ips = expandRange(e.keyword);
    const port = e.args[0] !== undefined ? Number(e.args[0]) : Number.NaN;
    if (!ips)
      ctx.ledger.drop(
        e,
        `"${e.keyword}" is not an address or a range such as 10.0.0.3-10`,
        "virtual_server_group",
      );
    else if (!Number.isInteger(port) || port < 1 || port > 65535)
      ctx.ledger.drop(e, "tcpvs listens on a port; this entry has none", "virtual_server_group");
    else {
      ctx.ledger.use(e);
      out.push(...ips.map((ip) => hostPort(ip, port)));
    }
  }
  return out;
}

interface Server {
  node: KNode;
  table: Table;
  checks: string;
  checkNodes: KNode[];
  inhibit?: KNode;
  inhibitValue: boolean;
  notify: Record<"notify_up" | "notify_down", { cmd?: string; node?: KNode }>;
}

/** The value most servers have; the others are reported. */
function majority<T>(items: Array<{ key: T; report: () => void }>): T | undefined {
  const counts = new Map<T, number>();
  for (const i of items) counts.set(i.key, (counts.get(i.key) ?? 0) + 1);
  let best: T | undefined;
  let n = 0;
  for (const [k, c] of counts) if (c > n) [best, n] = [k, c];
  for (const i of items) if (i.key !== best) i.report();
  return best;
}

function realServer(
  ctx: ImportContext,
  n: KNode,
  vsPort: number,
  http: boolean,
  d: CheckDefaults & { inhibit: boolean },
): Server | undefined {
  const ip = n.args[0] ?? "";
  const port = n.args[1] !== undefined ? Number(n.args[1]) : vsPort;
  if (!family(ip) || !Number.isInteger(port) || port < 1 || port > 65535) {
    ctx.ledger.drop(n, `"${n.args.join(" ")}" is not ADDRESS [PORT]`);
    return undefined;
  }
  ctx.ledger.use(n);
  const table: Table = { address: hostPort(ip, port) };
  const own: CheckDefaults = { ...d };
  const server: Server = {
    node: n,
    table,
    checks: "",
    checkNodes: [],
    inhibitValue: d.inhibit,
    notify: { notify_up: {}, notify_down: {} },
  };
  let inhibit = d.inhibit;
  const checkers: KNode[] = [];
  for (const k of n.children ?? []) {
    if (dropKnown(ctx, k, RS_UNSUPPORTED)) continue;
    const kw = k.keyword;
    if (kw === "weight") table.weight = integer(ctx, k, 0, 65535);
    else if (kw === "uthreshold") table.max_connections = integer(ctx, k, 0, 2 ** 31 - 1);
    else if (kw === "lvs_method") forwarding(ctx, k, http);
    else if (kw === "inhibit_on_failure") {
      ctx.ledger.use(k);
      inhibit = k.args[0] !== "no" && k.args[0] !== "false";
      server.inhibit = k;
    } else if (kw === "notify_up" || kw === "notify_down") {
      server.notify[kw] = { cmd: word(ctx, k), node: k };
      if (k.args.length > 1)
        ctx.ledger.note(
          k,
          `${kw} ${k.args.slice(1).join(" ")}`,
          "tcpvs has no script user yet (issue 19 part 2)",
        );
    } else if (kw === "virtualhost") own.host = word(ctx, k);
    else if (kw === "delay_loop") own.interval = seconds(ctx, k) ?? own.interval;
    else if (kw === "connect_timeout") own.timeout = seconds(ctx, k);
    else if (kw === "retry" || kw === "nb_get_retry") own.retry = integer(ctx, k, 0, 100);
    else if (kw === "delay_before_retry") own.delayBeforeRetry = seconds(ctx, k);
    else if (kw === "alpha") {
      ctx.ledger.use(k);
      own.alpha = k.args[0] !== "no" && k.args[0] !== "false";
    } else if (CHECKERS.includes(kw)) checkers.push(k);
  }
  const checks = checkers.flatMap((c) => convertChecker(ctx, c, own, { ip, port }));
  server.checks = JSON.stringify(checks);
  server.checkNodes = checkers;
  table.weight ??= 1;
  server.inhibitValue = inhibit;
  return server;
}

export function convertVirtualServer(ctx: ImportContext, n: KNode, listensTaken: Set<string>): void {
  const [a0, a1] = n.args;
  let listens: string[];
  let name: string;
  if (a0 === "fwmark") {
    ctx.ledger.drop(
      n,
      "tcpvs listens on addresses and ports; it does not see firewall marks",
      "virtual_server fwmark",
    );
    return;
  }
  if (a0 === "group") {
    const g = ctx.vsGroups.get(a1 ?? "");
    if (!g) {
      ctx.ledger.drop(n, `no virtual_server_group "${a1 ?? ""}" is defined`, "virtual_server group");
      return;
    }
    listens = groupListens(ctx, g);
    name = safeName(a1!);
  } else {
    const port = a1 !== undefined ? Number(a1) : Number.NaN;
    if (!family(a0 ?? "") || !Number.isInteger(port) || port < 1 || port > 65535) {
      ctx.ledger.drop(n, `expected "virtual_server ADDRESS PORT": tcpvs listens on an address and a port`);
      return;
    }
    listens = [hostPort(a0!, port)];
    name = safeName(`vs_${a0}_${port}`);
  }
  const kids = n.children ?? [];
  const proto = kids.find((k) => k.keyword === "protocol");
  if (proto && proto.args[0] !== "TCP") {
    ctx.ledger.drop(n, "tcpvs relays TCP only", `protocol ${proto.args[0] ?? ""}`.trim());
    return;
  }
  const fresh = listens.filter((l) => !listensTaken.has(l));
  if (fresh.length === 0) {
    ctx.ledger.drop(
      n,
      `its addresses (${listens.join(", ")}) are already used by another virtual_server`,
      "virtual_server",
    );
    return;
  }
  const ports = fresh.map((l) => Number(l.slice(l.lastIndexOf(":") + 1)));
  const http = ports.every((p) => ctx.httpPorts.has(p));
  const vsPort = ports[0]!;
  ctx.ledger.use(n, proto);
  const pool: Table = {};
  const d: CheckDefaults & { inhibit: boolean } = { interval: 60_000, alpha: false, inhibit: false };
  const servers: Server[] = [];
  for (const k of kids) {
    if (dropKnown(ctx, k, VS_UNSUPPORTED)) continue;
    const kw = k.keyword;
    if (kw === "lb_algo" || kw === "lvs_sched") {
      const s = k.args[0] ?? "";
      if (SCHEDULERS.includes(s)) pool.scheduler = word(ctx, k);
      else ctx.ledger.drop(k, `tcpvs has no scheduler "${s}"; see docs/schedulers.md`, `${kw} ${s}`);
    } else if (kw === "lb_kind" || kw === "lvs_method") forwarding(ctx, k, http);
    else if (kw === "persistence_timeout") {
      // A bare persistence_timeout means keepalived's 6 minutes.
      const ms = k.args.length === 0 ? 360_000 : seconds(ctx, k);
      ctx.ledger.use(k);
      if (ms !== undefined) pool.persistence_timeout = duration(ms);
    } else if (kw === "persistence_granularity") {
      const g = parseGranularity(k.args[0] ?? "");
      if (typeof g === "string") ctx.ledger.drop(k, g);
      else pool.persistence_granularity = word(ctx, k);
    } else if (kw === "sorry_server") {
      const ip = k.args[0] ?? "";
      const port = k.args[1] !== undefined ? Number(k.args[1]) : vsPort;
      if (family(ip) && Number.isInteger(port) && port >= 1 && port <= 65535) {
        pool.sorry_server = hostPort(ip, port);
        ctx.ledger.use(k);
      } else ctx.ledger.drop(k, `"${k.args.join(" ")}" is not ADDRESS [PORT]`);
    } else if (kw === "quorum") pool.quorum = integer(ctx, k, 0, 2 ** 31 - 1);
    else if (kw === "hysteresis") pool.hysteresis = integer(ctx, k, 0, 2 ** 31 - 1);
    else if (kw === "inhibit_on_failure") {
      ctx.ledger.use(k);
      d.inhibit = k.args[0] !== "no" && k.args[0] !== "false";
    } else if (kw === "virtualhost") d.host = word(ctx, k);
    else if (kw === "delay_loop") d.interval = seconds(ctx, k) ?? d.interval;
    else if (kw === "connect_timeout") d.timeout = seconds(ctx, k);
    else if (kw === "retry" || kw === "nb_get_retry") d.retry = integer(ctx, k, 0, 100);
    else if (kw === "delay_before_retry") d.delayBeforeRetry = seconds(ctx, k);
    else if (kw === "alpha") {
      ctx.ledger.use(k);
      d.alpha = k.args[0] !== "no" && k.args[0] !== "false";
    }
  }
  // Real servers after the virtual server's own keys, which are their defaults wherever written.
  for (const k of kids) {
    if (k.keyword !== "real_server") continue;
    const s = realServer(ctx, k, vsPort, http, d);
    const twin = s && servers.find((x) => x.table.address === s.table.address);
    if (twin)
      ctx.ledger.drop(k, `real_server ${k.args.join(" ")} is already listed at line ${twin.node.line}`);
    else if (s) servers.push(s);
  }
  if (servers.length === 0) {
    ctx.ledger.drop(
      n,
      "it has no real_server tcpvs can use; a tcpvs pool needs one",
      `virtual_server ${n.args.join(" ")}`,
    );
    return;
  }
  for (const l of fresh) listensTaken.add(l);
  for (const l of listens.filter((x) => !fresh.includes(x)))
    ctx.ledger.note(n, `virtual_server ${l}`, "the address is already used by another virtual_server");
  settlePool(ctx, servers, pool);
  let poolName = name;
  for (let i = 2; ctx.out.pools.has(poolName); i++) poolName = `${name}_${i}`;
  ctx.out.virtualServers.push({
    from: from(n),
    table: { name: poolName, listen: fresh, mode: http ? "http" : "tcp", pool: poolName },
  });
  ctx.out.pools.set(poolName, {
    from: from(n),
    table: pool,
    servers: servers.map((s) => ({ from: from(s.node), table: s.table })),
    checks: JSON.parse(majorityChecks(ctx, servers)),
  });
}

/** tcpvs keeps checks, inhibit_on_failure and notify scripts per pool; keepalived per real server. */
function settlePool(ctx: ImportContext, servers: Server[], pool: Table): void {
  const inhibit = majority(
    servers.map((s) => ({
      key: s.inhibitValue,
      report: () =>
        ctx.ledger.note(
          s.inhibit ?? s.node,
          "inhibit_on_failure",
          "tcpvs sets it per pool; most of this pool's servers differ",
        ),
    })),
  );
  if (inhibit) pool.inhibit_on_failure = true;
  for (const key of ["notify_up", "notify_down"] as const) {
    const cmd = majority(
      servers.map((s) => ({
        key: s.notify[key].cmd ?? "",
        report: () =>
          ctx.ledger.note(
            s.notify[key].node ?? s.node,
            key,
            "tcpvs runs one command per pool; most of this pool's servers have another",
          ),
      })),
    );
    if (cmd) pool[key] = cmd;
  }
}

function majorityChecks(ctx: ImportContext, servers: Server[]): string {
  const first = new Map<string, Server>();
  for (const s of servers) if (!first.has(s.checks)) first.set(s.checks, s);
  const checks = majority(servers.map((s) => ({ key: s.checks, report: () => {} }))) ?? "[]";
  const model = first.get(checks)!;
  for (const s of servers) {
    if (s.checks === checks) continue;
    const why = `tcpvs checks every server of a pool alike, with the checks of real_server ${model.node.args.join(" ")} (line ${model.node.line})`;
    if (s.checkNodes.length === 0) ctx.ledger.note(s.node, "real_server without a checker", why);
    for (const c of s.checkNodes) ctx.ledger.drop(c, why);
  }
  return checks;
}

/** A virtual_server_group no virtual server uses. */
export function unusedGroup(ctx: ImportContext, g: KNode): void {
  if (!ctx.ledger.wasUsed(g)) ctx.ledger.drop(g, "no virtual_server uses it");
}
