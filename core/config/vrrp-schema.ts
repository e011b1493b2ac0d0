// The [vrrp.NAME] tables: keepalived's vrrp_instance vocabulary. An instance speaks one address family,
// the one of its first VIP; everything else address-like in it must match.

import { canonicalIp, ipFamily, parseIp } from "../net/ip.ts";
import { type Fields, join, type Raw } from "./fields.ts";
import type { VrrpConfig, VrrpTrackScript } from "./types.ts";
import { parseCidr } from "./values.ts";

const VRRP_KEYS = [
  "interface",
  "virtual_router_id",
  "priority",
  "state",
  "advert_int",
  "version",
  "preempt",
  "nopreempt",
  "preempt_delay",
  "virtual_ipaddress",
  "unicast_src_ip",
  "unicast_peer",
  "check_unicast_src",
  "auth_pass",
  "v3_checksum_no_pseudo_header",
  "garp_master_delay",
  "garp_master_repeat",
  "garp_master_refresh",
  "track_interface",
  "track_script",
  "track_pool",
  "sync_group",
  "notify_master",
  "notify_backup",
  "notify_fault",
  "notify_stop",
  "notify",
];

/** The zone rule (core/net/ip.ts) for VRRP: every address of an instance is on its `interface`. */
function zoneRefused(text: string): string {
  const zone = text.slice(text.indexOf("%"));
  return `invalid address "${text}": a VRRP address is on the instance's interface; remove "${zone}"`;
}

/** "10.0.0.100/24 dev eth1 label eth1:vip" as keepalived writes it. */
function readVip(f: Fields, text: string, path: string): VrrpConfig["virtual_ipaddress"][number] | undefined {
  const words = text.trim().split(/\s+/);
  const cidr = parseCidr(words[0]);
  if (words[0]?.includes("%")) {
    f.error(path, zoneRefused(words[0].split("/")[0]!));
    return undefined;
  }
  if (!cidr.ok) {
    f.error(path, cidr.error);
    return undefined;
  }
  const vip: VrrpConfig["virtual_ipaddress"][number] = {
    // Canonical, so it compares equal to the addresses decoded from a peer's advert.
    address: canonicalIp(cidr.value.address),
    prefix: cidr.value.prefix,
  };
  for (let i = 1; i < words.length; i += 2) {
    const [k, v] = [words[i], words[i + 1]];
    if ((k === "dev" || k === "label") && v) vip[k] = v;
    else {
      f.error(path, `invalid VIP "${text}": expected "ADDRESS[/PREFIX] [dev IFACE] [label LABEL]"`);
      return undefined;
    }
  }
  return vip;
}

function readTrackScript(f: Fields, raw: unknown, path: string): VrrpTrackScript {
  const t = f.table(raw, path, ["name", "script", "interval", "timeout", "rise", "fall", "weight"]);
  return {
    name: f.string(t, "name", path, { def: f.string(t, "script", path) }),
    script: f.string(t, "script", path, { required: true }),
    interval: f.duration(t, "interval", path, 1000, { min: 10 }),
    timeout: f.duration(t, "timeout", path, 1000, { min: 1 }),
    rise: f.int(t, "rise", path, { def: 1, min: 1 }),
    fall: f.int(t, "fall", path, { def: 1, min: 1 }),
    weight: f.int(t, "weight", path, { def: 0, min: -254, max: 254 }),
  };
}

/** track_interface / track_pool entries: "eth0" or { name = "eth0", weight = -20 }. */
function readTracked(f: Fields, t: Raw, key: string, path: string): Array<{ name: string; weight: number }> {
  return f.tables(t[key], join(path, key)).map(({ value, path: p }) => {
    if (typeof value === "string") return { name: value, weight: 0 };
    const e = f.table(value, p, ["name", "weight"]);
    return {
      name: f.string(e, "name", p, { required: true }),
      weight: f.int(e, "weight", p, { def: 0, min: -254, max: 254 }),
    };
  });
}

function readInstance(f: Fields, name: string, raw: unknown, path: string): VrrpConfig {
  const t = f.table(raw, path, VRRP_KEYS);
  const version = f.int(t, "version", path, { def: 3, min: 2, max: 3 }) as 2 | 3;
  const advert = f.duration(t, "advert_int", path, 1000, { min: 10 });
  if (version === 2 && advert % 1000 !== 0) {
    f.error(
      join(path, "advert_int"),
      `VRRPv2 advertises whole seconds: advert_int ${advert} ms is not a multiple of 1s`,
    );
  }
  if (version === 3 && advert > 40_950)
    f.error(join(path, "advert_int"), "VRRPv3 advert_int must be at most 40.95s");
  const vipPath = join(path, "virtual_ipaddress");
  const vips = f.strings(t, "virtual_ipaddress", path).flatMap((text, i) => {
    const v = readVip(f, text, join(vipPath, i));
    return v ? [{ v, i }] : [];
  });
  if (t.virtual_ipaddress === undefined) f.error(vipPath, 'missing required key "virtual_ipaddress"');
  const family = vips[0] ? ipFamily(vips[0].v.address) : 4;
  const fam = family === 6 ? "IPv6" : "IPv4";
  for (const { v, i } of vips.slice(1)) {
    if (ipFamily(v.address) !== family) {
      f.error(
        join(vipPath, i),
        `VIP "${v.address}" is not ${fam} like the first VIP "${vips[0]!.v.address}": an instance is one ` +
          "address family; put the other family's VIPs in a second [vrrp.NAME]",
      );
    }
  }
  if (family === 6 && version === 2) {
    f.error(
      join(path, "version"),
      "version = 2 cannot carry IPv6 VIPs: VRRPv2 is IPv4 only; set version = 3 or remove the key",
    );
  }
  const peers = f.strings(t, "unicast_peer", path);
  peers.forEach((p, i) => {
    if (parseIp(p)?.zone !== undefined) f.error(join(join(path, "unicast_peer"), i), zoneRefused(p));
    else if (ipFamily(p) !== family) {
      f.error(
        join(join(path, "unicast_peer"), i),
        `invalid unicast peer "${p}": expected an ${fam} address, the family of this instance's VIPs`,
      );
    }
  });
  const src = f.optString(t, "unicast_src_ip", path);
  if (src !== undefined && parseIp(src)?.zone !== undefined)
    f.error(join(path, "unicast_src_ip"), zoneRefused(src));
  else if (src !== undefined && ipFamily(src) !== family) {
    f.error(
      join(path, "unicast_src_ip"),
      `invalid address "${src}": expected an ${fam} address, the family of this instance's VIPs`,
    );
  }
  const auth = f.optString(t, "auth_pass", path);
  if (auth !== undefined && (version !== 2 || auth.length > 8)) {
    f.error(
      join(path, "auth_pass"),
      version !== 2
        ? "auth_pass exists only in VRRPv2 (RFC 5798 removed authentication)"
        : "auth_pass is at most 8 characters",
    );
  }
  // keepalived spells "no preemption" as a bare nopreempt flag; accept it next to preempt = false.
  const preempt = f.bool(t, "preempt", path, true) && !f.bool(t, "nopreempt", path, false);
  return {
    name,
    interface: f.string(t, "interface", path, { required: true }),
    virtual_router_id: f.int(t, "virtual_router_id", path, { def: 1, min: 1, max: 255, required: true }),
    priority: f.int(t, "priority", path, { def: 100, min: 1, max: 255 }),
    state:
      t.state === undefined
        ? undefined
        : f.string<"MASTER" | "BACKUP">(t, "state", path, { oneOf: ["MASTER", "BACKUP"], def: "BACKUP" }),
    advert_int: advert,
    version,
    preempt,
    preempt_delay: f.duration(t, "preempt_delay", path, 0),
    virtual_ipaddress: vips.map((x) => x.v),
    unicast_src_ip: src !== undefined && ipFamily(src) ? canonicalIp(src) : src,
    check_unicast_src: f.bool(t, "check_unicast_src", path, false),
    unicast_peer: peers.map((p) => (ipFamily(p) ? canonicalIp(p) : p)),
    auth_pass: auth,
    v3_checksum_no_pseudo_header: f.bool(t, "v3_checksum_no_pseudo_header", path, false),
    garp_master_delay: f.duration(t, "garp_master_delay", path, 5000),
    garp_master_repeat: f.int(t, "garp_master_repeat", path, { def: 5, min: 0, max: 100 }),
    garp_master_refresh: f.duration(t, "garp_master_refresh", path, 0),
    track_interface: readTracked(f, t, "track_interface", path),
    track_script: f
      .tables(t.track_script, join(path, "track_script"))
      .map((s) => readTrackScript(f, s.value, s.path)),
    track_pool: readTracked(f, t, "track_pool", path),
    sync_group: f.optString(t, "sync_group", path),
    notify_master: f.optString(t, "notify_master", path),
    notify_backup: f.optString(t, "notify_backup", path),
    notify_fault: f.optString(t, "notify_fault", path),
    notify_stop: f.optString(t, "notify_stop", path),
    notify: f.optString(t, "notify", path),
  };
}

export function readVrrp(f: Fields, raw: unknown): Record<string, VrrpConfig> {
  const out: Record<string, VrrpConfig> = {};
  const t = f.table(raw, "vrrp", Object.keys(raw && typeof raw === "object" ? raw : {}));
  const vrids = new Map<string, string>();
  for (const [name, value] of Object.entries(t)) {
    const inst = readInstance(f, name, value, join("vrrp", name));
    out[name] = inst;
    const key = `${inst.interface}/${inst.virtual_router_id}`;
    const other = vrids.get(key);
    if (other) {
      f.error(
        join(join("vrrp", name), "virtual_router_id"),
        `virtual_router_id ${inst.virtual_router_id} on "${inst.interface}" is already used by vrrp.${other}`,
      );
    } else vrids.set(key, name);
  }
  return out;
}
