// keepalived's real_server blocks as the servers of a tcpvs pool. keepalived keeps checks,
// inhibit_on_failure and notify scripts per real server, tcpvs per pool: where the servers differ, what
// most of them have is kept and the others are reported.

import { type CheckDefaults, CHECKERS, convertChecker } from "./convert-checks.ts";
import { perScriptUser } from "./convert-script-user.ts";
import {
  dropKnown,
  family,
  hostPort,
  type ImportContext,
  integer,
  NO_EMAIL,
  seconds,
  word,
} from "./import-context.ts";
import type { KNode } from "./keepalived-parser.ts";
import type { Table } from "./toml-writer.ts";

const RS_UNSUPPORTED: Record<string, string> = {
  lthreshold: "tcpvs uses a server again as soon as it is below max_connections",
  smtp_alert: NO_EMAIL,
  snmp_name: "tcpvs has no SNMP; see tcpvs status and the metrics listener",
};
const PROXY =
  "tcpvs is a proxy, so servers see the director's address unless proxy_protocol is used and the application reads it";

/** lb_kind / lvs_method: only NAT keeps its meaning (replies come back through the director). */
export function forwarding(ctx: ImportContext, k: KNode, http: boolean): void {
  const kind = k.args[0] ?? "";
  if (kind === "NAT" && http)
    ctx.ledger.use(k); // X-Forwarded-For carries the client's address.
  else if (kind === "NAT") {
    ctx.ledger.use(k);
    ctx.ledger.note(k, `${k.keyword} NAT`, PROXY);
  } else ctx.ledger.drop(k, `${PROXY}; replies come back through tcpvs`, `${k.keyword} ${kind}`.trim());
}

export interface Server {
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

export function realServer(
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
      perScriptUser(ctx, k, k.args.slice(1));
    } else if (kw === "virtualhost") own.host = word(ctx, k);
    else if (kw === "delay_loop") own.interval = seconds(ctx, k) ?? own.interval;
    else if (kw === "connect_timeout") own.timeout = seconds(ctx, k);
    else if (kw === "retry" || kw === "nb_get_retry") own.retry = integer(ctx, k, 0, 100);
    else if (kw === "delay_before_retry") own.delayBeforeRetry = seconds(ctx, k);
    else if (kw === "warmup") own.warmup = seconds(ctx, k);
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

/** tcpvs keeps checks, inhibit_on_failure and notify scripts per pool; keepalived per real server. */
export function settlePool(ctx: ImportContext, servers: Server[], pool: Table): void {
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

export function majorityChecks(ctx: ImportContext, servers: Server[]): string {
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
