// keepalived's virtual_server (and virtual_server_group) as a tcpvs [[virtual_server]] with its
// [pool.NAME]. IPVS forwards packets; tcpvs is a proxy, so a virtual server becomes a listener on the
// same address and port (TCP mode, or HTTP mode for the ports the operator names) and the real servers
// a pool with the same scheduler, persistence, quorum and checks.

import { SCHEDULERS } from "../config/schema.ts";
import { parseGranularity } from "../sched/ip-key.ts";
import type { CheckDefaults } from "./convert-checks.ts";
import { forwarding, majorityChecks, realServer, type Server, settlePool } from "./convert-real-servers.ts";
import { perScriptUser } from "./convert-script-user.ts";
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
  smtp_alert: NO_EMAIL,
  snmp_name: "tcpvs has no SNMP; see tcpvs status and the metrics listener",
  sorry_server_inhibit: "tcpvs sends traffic to the sorry server only while the pool has lost quorum",
  sorry_server_lvs_method: "tcpvs is a proxy: it connects to the sorry server itself",
  ip_family: "only a fwmark service needs it",
};
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
    else if (kw === "warmup") d.warmup = seconds(ctx, k);
    else if (kw === "alpha") {
      ctx.ledger.use(k);
      d.alpha = k.args[0] !== "no" && k.args[0] !== "false";
    } else if (kw === "omega") {
      ctx.ledger.use(k);
      if (k.args[0] !== "no" && k.args[0] !== "false") pool.omega = true;
    } else if (kw === "quorum_up" || kw === "quorum_down") {
      pool[kw] = word(ctx, k);
      perScriptUser(ctx, k, k.args.slice(1));
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

/** A virtual_server_group no virtual server uses. */
export function unusedGroup(ctx: ImportContext, g: KNode): void {
  if (!ctx.ledger.wasUsed(g)) ctx.ledger.drop(g, "no virtual_server uses it");
}
