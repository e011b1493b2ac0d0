// keepalived's vrrp_instance, vrrp_script and vrrp_sync_group as [vrrp.NAME] tables. tcpvs uses
// keepalived's words, so most statements carry over as they are; the differences are the defaults
// (keepalived speaks VRRPv2 unless told otherwise, tcpvs v3) and what tcpvs does not do.

import {
  dropKnown,
  duration,
  family,
  from,
  type ImportContext,
  integer,
  NO_EMAIL,
  seconds,
  word,
} from "./import-context.ts";
import { perScriptUser } from "./convert-script-user.ts";
import { trackInterface, trackScript, vip } from "./convert-vrrp-lists.ts";
import type { KNode } from "./keepalived-parser.ts";
import type { Table, TomlValue } from "./toml-writer.ts";

const NO_ROUTES =
  "tcpvs adds and removes VIPs only; run ip route/ip rule from notify_master and notify_backup";

const INSTANCE_UNSUPPORTED: Record<string, string> = {
  smtp_alert: NO_EMAIL,
  use_vmac: "tcpvs adds the VIPs to the interface itself; it does not create a virtual MAC interface",
  vmac_xmit_base: "tcpvs does not create a virtual MAC interface",
  virtual_routes: NO_ROUTES,
  virtual_rules: NO_ROUTES,
  virtual_ipaddress_excluded:
    "tcpvs advertises every VIP it adds; list these in virtual_ipaddress or in a second instance",
  lvs_sync_daemon_interface: "tcpvs is a proxy, not IPVS: there is no connection table to synchronise",
  dont_track_primary: "tcpvs always tracks the instance's own interface",
  mcast_src_ip: "tcpvs sends multicast adverts from the interface's own address",
  mcast_dst_ip: "tcpvs uses the standard VRRP group (224.0.0.18, ff02::12)",
  track_process: "tcpvs tracks interfaces, scripts and pools; a track_script can test the process",
  track_file: "tcpvs tracks interfaces, scripts and pools; a track_script can read the file",
  track_bfd: "tcpvs has no BFD",
  accept: "tcpvs always accepts traffic to its VIPs",
  no_accept: "tcpvs always accepts traffic to its VIPs",
  strict_mode: "tcpvs has no strict mode",
  promote_secondaries: "tcpvs does not change interface flags",
  garp_master_refresh_repeat: "tcpvs sends one gratuitous ARP per garp_master_refresh",
  garp_lower_prio_delay: "tcpvs has no lower-priority gratuitous ARP settings",
  garp_lower_prio_repeat: "tcpvs has no lower-priority gratuitous ARP settings",
  garp_extra_if: "tcpvs sends gratuitous ARP on the VIPs' interfaces only",
  notify_master_rx_lower_pri: "tcpvs has no such notify script",
  notify_deleted: "tcpvs has no such notify script",
  down_timer_adverts: "tcpvs uses the RFC's master down interval (3 adverts and the skew)",
  unicast_ttl: "tcpvs sends unicast adverts with TTL 255, as the RFC requires",
  old_unicast_checksum:
    "tcpvs does not detect keepalived's old checksum; see v3_checksum_no_pseudo_header in docs/config.md",
  lower_prio_no_advert: "tcpvs has no such option",
  higher_prio_send_advert: "tcpvs has no such option",
  track_src_ip: "tcpvs has no such option",
  unicast_fault_no_peer: "tcpvs has no such option",
  debug: "use tcpvs's --log-level debug",
};

export function convertInstance(ctx: ImportContext, n: KNode): void {
  const name = n.args[0];
  if (!name) {
    ctx.ledger.drop(n, "a vrrp_instance needs a name");
    return;
  }
  const t: Table = {};
  const vips: Array<{ text: string; fam: 4 | 6; address: string; node: KNode }> = [];
  const peers: Array<{ ip: string; node: KNode }> = [];
  const trackIfs: TomlValue[] = [];
  const trackScripts: TomlValue[] = [];
  let src: KNode | undefined;
  let version: number | undefined;
  let versionNode: KNode | undefined;
  let advert = 1000;
  let advertNode: KNode | undefined;
  let auth: { pass?: string; node: KNode } | undefined;
  for (const k of n.children ?? []) {
    const kw = k.keyword;
    if (dropKnown(ctx, k, INSTANCE_UNSUPPORTED)) continue;
    if (kw === "interface") t.interface = word(ctx, k);
    else if (kw === "virtual_router_id") t.virtual_router_id = integer(ctx, k, 1, 255);
    else if (kw === "priority") t.priority = integer(ctx, k, 1, 255);
    else if (kw === "state") {
      // keepalived reads these two words, exactly, and warns about any other.
      if (k.args[0] === "MASTER" || k.args[0] === "BACKUP") t.state = word(ctx, k);
      else ctx.ledger.drop(k, `expected MASTER or BACKUP, got "${k.args[0] ?? ""}"`);
    } else if (kw === "advert_int") {
      advert = seconds(ctx, k) ?? advert;
      advertNode = k;
    } else if (kw === "version") {
      version = integer(ctx, k, 2, 3);
      versionNode = k;
    } else if (kw === "nopreempt") {
      ctx.ledger.use(k);
      t.preempt = false;
    } else if (kw === "preempt") ctx.ledger.use(k);
    else if (kw === "preempt_delay") {
      const ms = seconds(ctx, k);
      if (ms !== undefined) t.preempt_delay = duration(ms);
    } else if (kw === "virtual_ipaddress") {
      ctx.ledger.use(k);
      for (const line of k.children ?? []) {
        const v = vip(ctx, line);
        const twin = v && vips.find((x) => x.address === v.address);
        if (twin)
          ctx.ledger.drop(
            line,
            `${v.address} is already listed at line ${twin.node.line}`,
            "virtual_ipaddress",
          );
        else if (v) vips.push({ ...v, node: line });
      }
    } else if (kw === "unicast_src_ip") {
      src = k;
    } else if (kw === "unicast_peer") {
      ctx.ledger.use(k);
      for (const line of k.children ?? []) {
        peers.push({ ip: line.keyword, node: line });
        if (line.args.length > 0)
          ctx.ledger.note(line, `unicast_peer ${line.args.join(" ")}`, "tcpvs does not check a peer's TTL");
      }
    } else if (kw === "check_unicast_src") {
      ctx.ledger.use(k);
      t.check_unicast_src = true;
    } else if (kw === "authentication") {
      const type = k.children?.find((a) => a.keyword === "auth_type")?.args[0] ?? "PASS";
      if (type !== "PASS") {
        // Sending PASS (or nothing) to an AH peer fails just the same: say so, write neither.
        ctx.ledger.drop(k, "tcpvs implements PASS authentication only", `auth_type ${type}`);
        continue;
      }
      ctx.ledger.use(k);
      auth = { node: k };
      for (const a of k.children ?? []) {
        if (a.keyword === "auth_type") ctx.ledger.use(a);
        else if (a.keyword === "auth_pass") {
          // keepalived uses the first eight characters; so does the wire format.
          auth.pass = word(ctx, a)?.slice(0, 8);
        }
      }
    } else if (kw === "garp_master_delay") {
      const ms = seconds(ctx, k);
      if (ms !== undefined) t.garp_master_delay = duration(ms);
    } else if (kw === "garp_master_repeat") t.garp_master_repeat = integer(ctx, k, 0, 100);
    else if (kw === "garp_master_refresh") {
      const ms = seconds(ctx, k);
      if (ms !== undefined) t.garp_master_refresh = duration(ms);
    } else if (kw === "track_interface") {
      ctx.ledger.use(k);
      for (const line of k.children ?? []) {
        const v = trackInterface(ctx, line);
        if (v !== undefined) trackIfs.push(v);
      }
    } else if (kw === "track_script") {
      ctx.ledger.use(k);
      for (const line of k.children ?? []) {
        const v = trackScript(ctx, line);
        if (v !== undefined) trackScripts.push(v);
      }
    } else if (["notify_master", "notify_backup", "notify_fault", "notify_stop", "notify"].includes(kw)) {
      t[kw] = word(ctx, k);
      perScriptUser(ctx, k, k.args.slice(1));
    }
  }
  // keepalived clears both at start when the initial state is MASTER ("... will not work with
  // initial state MASTER - clearing"); tcpvs would keep them, so neither is written.
  if (t.state === "MASTER") {
    for (const key of ["nopreempt", "preempt_delay"]) {
      const node = n.children?.find((c) => c.keyword === key);
      if (!node || (key === "nopreempt" ? t.preempt !== false : t.preempt_delay === undefined)) continue;
      delete t[key === "nopreempt" ? "preempt" : key];
      ctx.ledger.drop(
        node,
        "keepalived ignores it with state MASTER (it says so and clears it); so does the import",
      );
    }
  }
  // What an instance cannot do without: keepalived refuses these too.
  for (const key of ["interface", "virtual_router_id"]) {
    if (t[key] === undefined) {
      ctx.ledger.drop(n, `it has no ${key}`, `vrrp_instance ${name}`);
      return;
    }
  }
  // keepalived allows a repeated router id on one interface with other peers; tcpvs does not.
  const key = `${t.interface}/${t.virtual_router_id}`;
  const twin = ctx.vrids.get(key);
  if (twin) {
    ctx.ledger.drop(
      n,
      `virtual_router_id ${t.virtual_router_id} on ${t.interface} is already used by vrrp_instance ${twin}`,
      `vrrp_instance ${name}`,
    );
    return;
  }
  const fam = vips[0]?.fam;
  if (fam === undefined) {
    ctx.ledger.drop(n, "it has no virtual_ipaddress tcpvs can add", `vrrp_instance ${name}`);
    return;
  }
  const other = `an instance speaks one address family (IPv${fam}, its first VIP's); add a second instance for IPv${fam === 4 ? 6 : 4}`;
  const keptVips = vips.filter((v) => {
    if (v.fam === fam) return true;
    ctx.ledger.drop(v.node, other, "virtual_ipaddress");
    return false;
  });
  // keepalived runs IPv6 instances as VRRPv3 whatever vrrp_version says.
  let v = version ?? ctx.vrrpDefaults.version ?? 2;
  if (fam === 6 && v === 2) {
    if (versionNode)
      ctx.ledger.note(versionNode, "version 2", "VRRPv2 is IPv4 only; keepalived and tcpvs use 3");
    v = 3;
  }
  if (v === 2 && advert % 1000 !== 0) {
    const whole = Math.max(1000, Math.round(advert / 1000) * 1000);
    if (advertNode)
      ctx.ledger.note(
        advertNode,
        "advert_int",
        `VRRPv2 advertises whole seconds: written as ${duration(whole)}`,
      );
    advert = whole;
  }
  t.advert_int = duration(advert);
  t.version = v;
  t.virtual_ipaddress = keptVips.map((x) => x.text);
  if (src) {
    const ip = word(ctx, src);
    if (ip && family(ip) === fam) t.unicast_src_ip = ip;
    else if (ip) ctx.ledger.drop(src, `"${ip}" is not an IPv${fam} address like the VIPs`);
  }
  const keptPeers = peers.filter((p) => {
    if (family(p.ip) === fam) {
      ctx.ledger.use(p.node);
      return true;
    }
    ctx.ledger.drop(p.node, `"${p.ip}" is not an IPv${fam} address like the VIPs`, "unicast_peer");
    return false;
  });
  if (keptPeers.length > 0) t.unicast_peer = keptPeers.map((p) => p.ip);
  if (auth?.pass !== undefined) {
    if (v === 2) t.auth_pass = auth.pass;
    else
      ctx.ledger.note(
        auth.node,
        "authentication",
        "VRRPv3 has no authentication (RFC 5798); keepalived ignores it too",
      );
  }
  t.garp_master_delay ??= ctx.vrrpDefaults.garp_master_delay;
  t.garp_master_repeat ??= ctx.vrrpDefaults.garp_master_repeat;
  t.garp_master_refresh ??= ctx.vrrpDefaults.garp_master_refresh;
  if (trackIfs.length > 0) t.track_interface = trackIfs;
  if (trackScripts.length > 0) t.track_script = trackScripts;
  t.sync_group = ctx.syncGroups.get(name);
  // Keys in the order docs/config.md lists them.
  const order = [
    "interface",
    "virtual_router_id",
    "priority",
    "state",
    "advert_int",
    "version",
    "preempt",
    "preempt_delay",
  ];
  const sorted: Table = {};
  for (const k of order) sorted[k] = t[k];
  ctx.ledger.use(n);
  ctx.vrids.set(key, name);
  ctx.out.vrrp.set(name, { from: from(n), table: { ...sorted, ...t } });
}
