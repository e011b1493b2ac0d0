// keepalived.conf -> tcpvs.toml. Walks the parsed statements, hands each block to its converter, and
// returns the TOML text with the list of everything that was not carried over (the ledger makes sure
// no statement is left without a verdict).

import { convertVirtualServer, unusedGroup } from "./convert-lvs.ts";
import { settleScriptSettings } from "./convert-script-user.ts";
import { convertInstance } from "./convert-vrrp.ts";
import { convertSyncGroup } from "./convert-vrrp-lists.ts";
import {
  dropKnown,
  duration,
  type ImportContext,
  integer,
  NO_EMAIL,
  seconds,
  word,
} from "./import-context.ts";
import { type Dropped, ImportLedger } from "./import-ledger.ts";
import type { KNode, ParseResult } from "./keepalived-parser.ts";
import { realScriptHost, type ScriptHost } from "./script-host.ts";
import { TomlDoc } from "./toml-writer.ts";

export interface ImportOptions {
  /** Virtual servers on these ports become HTTP mode; the others TCP mode. */
  httpPorts?: number[];
  /** Where script_user and the scripts are checked; default: this machine, as config check does. */
  host?: ScriptHost;
}

export interface ImportResult {
  toml: string;
  /** What was not carried over, in file order. */
  dropped: Dropped[];
  ledger: ImportLedger;
  counts: { virtualServers: number; pools: number; vrrp: number };
}

const NETWORK =
  "tcpvs manages VIPs only; configure permanent addresses, routes and rules in the system's network configuration";
const TOP_UNSUPPORTED: Record<string, string> = {
  static_ipaddress: NETWORK,
  static_routes: NETWORK,
  static_rules: NETWORK,
  net_namespace: "run tcpvs inside the namespace (ip netns exec) instead",
  linkbeat_interfaces: "tcpvs reads interface state from the kernel",
  bfd_instance: "tcpvs has no BFD",
  track_file: "tcpvs tracks interfaces, scripts and pools; a vrrp_script can read the file",
  vrrp_track_file: "tcpvs tracks interfaces, scripts and pools; a vrrp_script can read the file",
  track_process: "tcpvs tracks interfaces, scripts and pools; a vrrp_script can test the process",
  vrrp_track_process: "tcpvs tracks interfaces, scripts and pools; a vrrp_script can test the process",
  garp_group: "tcpvs has no gratuitous ARP groups; see garp_master_* in [vrrp.NAME]",
};

const GLOBAL_UNSUPPORTED: Record<string, string> = {
  notification_email: NO_EMAIL,
  notification_email_from: NO_EMAIL,
  smtp_server: NO_EMAIL,
  smtp_connect_timeout: NO_EMAIL,
  smtp_helo_name: NO_EMAIL,
  smtp_alert: NO_EMAIL,
  smtp_alert_vrrp: NO_EMAIL,
  smtp_alert_checker: NO_EMAIL,
  vrrp_strict: "tcpvs has no strict mode",
  vrrp_iptables: "tcpvs does not add firewall rules",
  vrrp_skip_check_adv_addr: "tcpvs always checks an advert's addresses",
  lvs_sync_daemon: "tcpvs is a proxy, not IPVS: there is no connection table to synchronise",
  lvs_timeouts: "tcpvs's timeouts are per virtual_server (idle_timeout, client_keepalive_timeout)",
  enable_traps: "tcpvs has no SNMP; see tcpvs status and the metrics listener",
  vrrp_garp_master_refresh_repeat: "tcpvs sends one gratuitous ARP per garp_master_refresh",
};

function globalDefs(ctx: ImportContext, n: KNode): void {
  ctx.ledger.use(n);
  for (const k of n.children ?? []) {
    if (dropKnown(ctx, k, GLOBAL_UNSUPPORTED)) continue;
    const kw = k.keyword;
    if (kw === "script_user") ctx.script.userNode = k;
    else if (kw === "enable_script_security") ctx.script.securityNode = k;
    else if (kw === "router_id" || (kw === "lvs_id" && ctx.out.global.router_id === undefined))
      ctx.out.global.router_id = word(ctx, k);
    else if (kw === "vrrp_version") ctx.vrrpDefaults.version = integer(ctx, k, 2, 3);
    else if (kw === "vrrp_garp_master_delay") {
      const ms = seconds(ctx, k);
      if (ms !== undefined) ctx.vrrpDefaults.garp_master_delay = duration(ms);
    } else if (kw === "vrrp_garp_master_repeat")
      ctx.vrrpDefaults.garp_master_repeat = integer(ctx, k, 0, 100);
    else if (kw === "vrrp_garp_master_refresh") {
      const ms = seconds(ctx, k);
      if (ms !== undefined) ctx.vrrpDefaults.garp_master_refresh = duration(ms);
    } else if (kw.startsWith("enable_snmp") || kw.startsWith("snmp_"))
      ctx.ledger.drop(k, "tcpvs has no SNMP; see tcpvs status and the metrics listener");
  }
}

export function importKeepalived(parsed: ParseResult, opts: ImportOptions = {}): ImportResult {
  const ledger = new ImportLedger();
  const ctx: ImportContext = {
    ledger,
    out: { global: {}, virtualServers: [], pools: new Map(), vrrp: new Map() },
    httpPorts: new Set(opts.httpPorts ?? []),
    vrrpScripts: new Map(),
    vsGroups: new Map(),
    syncGroups: new Map(),
    vrids: new Map(),
    host: opts.host ?? realScriptHost,
    script: {},
    globalComments: [],
    vrrpDefaults: {},
  };
  const top = parsed.nodes;
  const instances = new Set<string>();
  for (const n of top) {
    if (n.keyword === "vrrp_script" && n.args[0]) ctx.vrrpScripts.set(n.args[0], n);
    if (n.keyword === "virtual_server_group" && n.args[0]) ctx.vsGroups.set(n.args[0], n);
    if (n.keyword === "vrrp_instance" && n.args[0]) instances.add(n.args[0]);
  }
  for (const n of top) if (n.keyword === "global_defs") globalDefs(ctx, n);
  for (const n of top) if (n.keyword === "vrrp_sync_group") convertSyncGroup(ctx, n, instances);
  for (const n of top) if (n.keyword === "vrrp_instance") convertInstance(ctx, n);
  const listens = new Set<string>();
  for (const n of top) if (n.keyword === "virtual_server") convertVirtualServer(ctx, n, listens);
  // A vrrp_script counts as carried over only through an instance that was.
  const tracked = new Set<string>();
  for (const v of ctx.out.vrrp.values()) {
    const list = v.table.track_script;
    if (Array.isArray(list)) for (const t of list) tracked.add((t as { name: string }).name);
  }
  for (const n of top) {
    if (dropKnown(ctx, n, TOP_UNSUPPORTED)) continue;
    if (n.keyword === "virtual_server_group") unusedGroup(ctx, n);
    if (n.keyword === "vrrp_script" && !tracked.has(n.args[0] ?? ""))
      ledger.drop(n, "no vrrp_instance carried over tracks it", `vrrp_script ${n.args[0] ?? ""}`.trim());
  }
  settleScriptSettings(ctx);
  const dropped = ledger.finish(top);
  return {
    toml: render(ctx, parsed.files[0] ?? "keepalived.conf"),
    dropped,
    ledger,
    counts: {
      virtualServers: ctx.out.virtualServers.length,
      pools: ctx.out.pools.size,
      vrrp: ctx.out.vrrp.size,
    },
  };
}

function render(ctx: ImportContext, file: string): string {
  const doc = new TomlDoc();
  doc.comment(
    `Imported from ${file} by "tcpvs import keepalived". keepalived's defaults are written out where\n` +
      `tcpvs's differ; what could not be carried over was listed when this file was written.`,
  );
  const o = ctx.out;
  if (Object.keys(o.global).length > 0 || ctx.globalComments.length > 0)
    doc.table(["global"], o.global, { trailer: ctx.globalComments });
  for (const vs of o.virtualServers) doc.table(["virtual_server"], vs.table, { array: true, from: vs.from });
  for (const [name, p] of o.pools) {
    doc.table(["pool", name], p.table, { from: p.from });
    for (const s of p.servers) doc.table(["pool", name, "server"], s.table, { array: true, from: s.from });
    for (const c of p.checks) doc.table(["pool", name, "check"], c, { array: true });
  }
  for (const [name, v] of o.vrrp) doc.table(["vrrp", name], v.table, { from: v.from });
  return doc.toString();
}
