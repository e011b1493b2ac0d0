// The [vrrp.NAME] tables: keepalived's vrrp_instance vocabulary, with the protocol's own limits (RFC 3768,
// RFC 5798) so `tcpvs config check` refuses at its line what a peer would refuse on the wire. An instance
// speaks one address family, the one of its first VIP; everything else address-like in it must match.

import { canonicalIp, ipFamily, parseIp } from "../net/ip.ts";
import { Fields, type Issue, join } from "./fields.ts";
import { readSection, section, writeSection } from "./schema-kit.ts";
import { k } from "./schema-keys.ts";
import type { VrrpConfig } from "./types.ts";
import { parseCidr } from "./values.ts";

/** advert_int a peer of `version` can carry: v2 whole seconds 1–255, v3 centiseconds up to 40.95 s. */
export function advertIntProblem(version: number, ms: number): string | undefined {
  if (version === 2 && (ms % 1000 !== 0 || ms < 1000 || ms > 255_000))
    return `Use whole seconds (1-255 s) for advert_int with version 2, not "${ms} ms"`;
  if (version === 3 && (ms % 10 !== 0 || ms < 10 || ms > 40_950))
    return `Use a multiple of 10 ms up to 40.95 s (40950 ms) for advert_int with version 3, not "${ms} ms"`;
  return undefined;
}

/** auth_pass is VRRPv2's 8-octet PASS field; VRRPv3 has no authentication. */
export function authPassProblem(version: number, pass: string): string | undefined {
  if (version !== 2)
    return "Remove auth_pass: VRRPv3 has no authentication (RFC 5798 removed it); it exists only in VRRPv2";
  const bytes = new TextEncoder().encode(pass).length;
  if (bytes > 8)
    return `Shorten auth_pass to at most 8 bytes: "${pass}" is ${bytes} bytes in UTF-8 (keepalived truncates)`;
  return undefined;
}

export interface Vip {
  address: string;
  prefix: number;
  dev?: string;
  label?: string;
}

/** The zone rule (core/net/ip.ts) for VRRP: every address of an instance is on its `interface`. */
function zoneRefused(text: string): string {
  const zone = text.slice(text.indexOf("%"));
  return `invalid address "${text}": a VRRP address is on the instance's interface; remove "${zone}"`;
}

/** "10.0.0.100/24 dev eth1 label eth1:vip" as keepalived writes it. */
function readVip(f: Fields, text: string, path: string): Vip | undefined {
  const words = text.trim().split(/\s+/);
  if (words[0]?.includes("%")) {
    f.error(path, zoneRefused(words[0].split("/")[0]!));
    return undefined;
  }
  const cidr = parseCidr(words[0]);
  if (!cidr.ok) {
    f.error(path, cidr.error);
    return undefined;
  }
  // Canonical, so it compares equal to the addresses decoded from a peer's advert.
  const vip: Vip = { address: canonicalIp(cidr.value.address), prefix: cidr.value.prefix };
  for (let i = 1; i < words.length; i += 2) {
    const [key, v] = [words[i], words[i + 1]];
    if ((key === "dev" || key === "label") && v) vip[key] = v;
    else {
      f.error(path, `invalid VIP "${text}": expected "ADDRESS[/PREFIX] [dev IFACE] [label LABEL]"`);
      return undefined;
    }
  }
  return vip;
}

const famName = (family: 4 | 6) => (family === 6 ? "IPv6" : "IPv4");

/** The VIPs, all of the first one's family. */
function readVips(f: Fields, v: unknown, path: string): Vip[] {
  const parent = path.slice(0, path.lastIndexOf("."));
  const vips = f.strings({ virtual_ipaddress: v }, "virtual_ipaddress", parent).flatMap((text, i) => {
    const vip = readVip(f, text, join(path, i));
    return vip ? [{ vip, i }] : [];
  });
  if (Array.isArray(v) && v.length === 0)
    f.error(path, "add at least one address: an instance announces its VIPs");
  if (Array.isArray(v) && v.length > 255)
    f.error(path, `use at most 255 addresses, not ${v.length}: an advert counts them in one byte`);
  const first = vips[0]?.vip;
  const family = first ? ipFamily(first.address) : 4;
  for (const { vip, i } of vips.slice(1)) {
    if (ipFamily(vip.address) !== family)
      f.error(
        join(path, i),
        `VIP "${vip.address}" is not ${famName(family ?? 4)} like the first VIP "${first!.address}": an instance is one ` +
          "address family; put the other family's VIPs in a second [vrrp.NAME]",
      );
  }
  return vips.map((x) => x.vip);
}

const trackedSection = section("vrrp.NAME.track_*", {
  name: k.string({ doc: "interface or pool name", required: true }),
  weight: k.int({ doc: "added to the priority while failing (0: FAULT)", def: 0, min: -254, max: 254 }),
});

/** track_interface / track_pool entries: "eth0" or { name = "eth0", weight = -20 }. */
const tracked = (doc: string) =>
  k.custom({
    doc,
    type: "array",
    def: () => [],
    defaultText: "`[]`",
    read: (f, v, path): Array<{ name: string; weight: number }> =>
      f
        .tables(v, path)
        .map(({ value, path: p }) =>
          typeof value === "string" ? { name: value, weight: 0 } : readSection(f, trackedSection, value, p),
        ),
  });

export const trackScriptSection = section("vrrp.NAME.track_script", {
  name: k.string({
    doc: "names it in logs",
    defaultFrom: (t) => t.script as string,
    defaultText: "the script",
  }),
  script: k.string({
    type: "command",
    doc: "command run by `/bin/sh -c`; exit 0 is success",
    required: true,
  }),
  interval: k.duration({ doc: "time between runs", def: "1s", min: 10 }),
  timeout: k.duration({ doc: "a run taking longer fails (and is killed)", def: "1s", min: 1 }),
  rise: k.int({ doc: "successes to count as up", def: 1, min: 1 }),
  fall: k.int({ doc: "failures to count as down", def: 1, min: 1 }),
  weight: k.int({ doc: "added to the priority while failing (0: FAULT)", def: 0, min: -254, max: 254 }),
});

const peerFamily = (s: string) => (ipFamily(s) ? canonicalIp(s) : s);

export const vrrpSection = section(
  "vrrp.NAME",
  {
    interface: k.string({ doc: "where adverts are sent and VIPs added", required: true }),
    virtual_router_id: k.int({ doc: "unique per interface", def: 1, min: 1, max: 255, required: true }),
    priority: k.int({ doc: "255 = address owner", def: 100, min: 1, max: 255 }),
    state: k.string({
      doc: "keepalived's initial state: `MASTER` takes over at start without waiting out the master-down interval (and yields to a higher priority); `BACKUP` waits",
      oneOf: ["MASTER", "BACKUP"],
      defaultText: "`BACKUP`",
    }),
    advert_int: k.duration({
      doc: "v2: whole seconds, 1–255 s; v3: multiples of 10 ms up to 40.95 s",
      def: "1s",
      min: 10,
    }),
    version: k.int({ doc: "VRRP version (IPv6 needs 3)", def: 3, oneOf: [2, 3] }),
    preempt: k.bool({
      doc: "a higher-priority backup takes over from a lower master",
      def: true,
      aliases: [{ key: "nopreempt", invert: true }],
    }),
    preempt_delay: k.duration({
      doc: "a lower-priority master is left alone this long after start-up (or leaving FAULT) or after first seeing it, as keepalived counts it",
      def: "0s",
      defaultText: "`0`",
    }),
    virtual_ipaddress: k.custom({
      doc: '`"10.0.0.100/24"`, optionally `"10.0.0.100/24 dev eth1 label eth1:vip"`; IPv6 `"2001:db8::100/64"` (a bare address is a /32 or /128; `label` is ignored for IPv6); one family per instance',
      type: "array",
      required: true,
      def: () => [],
      read: readVips,
      write: (vips: Vip[]) =>
        vips.map(
          (v) =>
            `${v.address}/${v.prefix}${v.dev ? ` dev ${v.dev}` : ""}${v.label ? ` label ${v.label}` : ""}`,
        ),
    }),
    unicast_src_ip: k.string({
      type: "address",
      doc: "source of unicast adverts; same family as the VIPs",
      map: peerFamily,
    }),
    unicast_peer: k.strings({
      doc: "unicast instead of multicast 224.0.0.18 / ff02::12; same family as the VIPs",
      type: "array",
      def: [],
      each: (_f, s) => peerFamily(s),
    }),
    check_unicast_src: k.bool({
      doc: "with `unicast_peer` set, drop (and count as `peer`) adverts whose source is not a listed peer",
      def: false,
    }),
    auth_pass: k.string({ doc: "v2 PASS authentication, at most 8 bytes" }),
    v3_checksum_no_pseudo_header: k.bool({
      doc: "for routers whose v3 checksum leaves out the IP pseudo-header",
      def: false,
    }),
    handover_relay: k.bool({
      doc: "IPv4, both nodes tcpvs with nftables: in a planned handover the new master relays the old master's open TCP connections to it (nft `dup`), and the old master keeps its VIPs hidden from ARP until its drain ends (at most `[global] grace` + 1 s; the relay lasts `grace` + 2 s), so no exchange in flight is reset",
      def: true,
    }),
    garp_master_delay: k.duration({
      doc: "gratuitous ARP (IPv6: unsolicited NA) again this long after becoming master",
      def: "5s",
    }),
    garp_master_repeat: k.int({ doc: "gratuitous ARPs sent each time", def: 5, min: 0, max: 100 }),
    garp_master_refresh: k.duration({
      doc: "and periodically while master; 0 = never",
      def: "0s",
      defaultText: "`0`",
    }),
    track_interface: tracked('`"eth1"` (down → FAULT) or `{ name, weight }` (down → priority + weight)'),
    track_script: k.tables(trackScriptSection, { doc: "scripts whose failure lowers the priority (below)" }),
    track_pool: tracked(
      '`"app"` or `{ name = "app", weight = -60 }`: the pool losing quorum lowers the priority (or FAULT with weight 0)',
    ),
    sync_group: k.string({ doc: "instances with the same group change state together" }),
    notify_master: k.string({ type: "command", doc: "run on becoming master" }),
    notify_backup: k.string({ type: "command", doc: "run on becoming backup" }),
    notify_fault: k.string({ type: "command", doc: "run on entering FAULT" }),
    notify_stop: k.string({ type: "command", doc: "run on stopping" }),
    notify: k.string({ type: "command", doc: "run on every change with `INSTANCE NAME STATE PRIORITY`" }),
  },
  [
    (v, at) => {
      const problem = advertIntProblem(v.version, v.advert_int);
      if (problem) at("advert_int", problem);
    },
    (v, at) => {
      if (v.auth_pass === undefined) return;
      const problem = authPassProblem(v.version, v.auth_pass);
      if (problem) at("auth_pass", problem);
    },
    (v, at, raw) => {
      const family = v.virtual_ipaddress[0] ? (ipFamily(v.virtual_ipaddress[0].address) ?? 4) : 4;
      const fam = famName(family);
      if (family === 6 && v.version === 2)
        at(
          "version",
          "version = 2 cannot carry IPv6 VIPs: VRRPv2 is IPv4 only; set version = 3 or remove the key",
        );
      const peers = Array.isArray(raw.unicast_peer) ? raw.unicast_peer : [raw.unicast_peer];
      v.unicast_peer.forEach((p, i) => {
        const written = typeof peers[i] === "string" ? (peers[i] as string) : p;
        if (parseIp(written)?.zone !== undefined) at(`unicast_peer[${i}]`, zoneRefused(written));
        else if (ipFamily(p) !== family)
          at(
            `unicast_peer[${i}]`,
            `invalid unicast peer "${peers[i] ?? p}": expected an ${fam} address, the family of this instance's VIPs`,
          );
      });
      const src = v.unicast_src_ip;
      if (typeof raw.unicast_src_ip === "string" && parseIp(raw.unicast_src_ip)?.zone !== undefined)
        at("unicast_src_ip", zoneRefused(raw.unicast_src_ip));
      else if (typeof raw.unicast_src_ip === "string" && src !== undefined && ipFamily(src) !== family)
        at(
          "unicast_src_ip",
          `invalid address "${raw.unicast_src_ip}": expected an ${fam} address, the family of this instance's VIPs`,
        );
    },
  ],
);

/**
 * Every problem the schema finds in an instance built in code (it is written back as the file would
 * write it, then read): the one rule set for the loader and `tcpvs vrrp`'s guard at start.
 */
export function vrrpInstanceProblems(v: VrrpConfig): Issue[] {
  const f = new Fields();
  readSection(f, vrrpSection, writeSection(vrrpSection, v), "");
  return f.issues;
}

/** A virtual_router_id is unique per interface. */
export function duplicateVrids(
  vrrp: Record<string, { interface: string; virtual_router_id: number }>,
  at: (key: string, message: string) => void,
): void {
  const seen = new Map<string, string>();
  for (const [name, inst] of Object.entries(vrrp)) {
    const key = `${inst.interface}/${inst.virtual_router_id}`;
    const other = seen.get(key);
    if (other)
      at(
        `vrrp.${name}.virtual_router_id`,
        `virtual_router_id ${inst.virtual_router_id} on "${inst.interface}" is already used by vrrp.${other}`,
      );
    else seen.set(key, name);
  }
}
