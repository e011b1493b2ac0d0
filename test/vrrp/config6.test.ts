// IPv6 in [vrrp.NAME]: an instance is one address family, decided by its first VIP; anything of the other
// family, and VRRPv2 with IPv6, is reported at its key's line and column.

import { describe, expect, test } from "bun:test";
import { ConfigError, parseConfig } from "../../core/config/load.ts";

function load(text: string): { problems: string[]; vrrp?: ReturnType<typeof parseConfig>["vrrp"] } {
  try {
    return { problems: [], vrrp: parseConfig(text, "t.toml").vrrp };
  } catch (e) {
    if (e instanceof ConfigError)
      return { problems: e.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`) };
    throw e;
  }
}

describe("IPv6 VRRP instances in the config", () => {
  test("IPv6 VIPs, peers and source are accepted and written canonically", () => {
    const r = load(`[vrrp.V6]
interface = "eth0"
virtual_router_id = 7
unicast_src_ip = "FD00:0:0::1"
unicast_peer = ["fd00::0002"]
virtual_ipaddress = ["FD00::100/64 dev eth0", "2001:db8::1"]
`);
    expect(r.problems).toEqual([]);
    const v = r.vrrp!.V6!;
    expect(v.version).toBe(3);
    expect(v.virtual_ipaddress).toEqual([
      { address: "fd00::100", prefix: 64, dev: "eth0" },
      { address: "2001:db8::1", prefix: 128 },
    ]);
    expect(v.unicast_src_ip).toBe("fd00::1");
    expect(v.unicast_peer).toEqual(["fd00::2"]);
  });

  test("check_unicast_src is read, off by default", () => {
    const text = (extra: string) =>
      `[vrrp.U]\ninterface = "eth0"\nvirtual_router_id = 7\nunicast_peer = ["fd00::2"]\n${extra}virtual_ipaddress = ["fd00::100/64"]\n`;
    expect(load(text("")).vrrp!.U!.check_unicast_src).toBe(false);
    expect(load(text("check_unicast_src = true\n")).vrrp!.U!.check_unicast_src).toBe(true);
    expect(load(text('check_unicast_src = "yes"\n')).problems).toEqual([
      '5:1 vrrp.U.check_unicast_src: expected true or false, got the string "yes"',
    ]);
  });

  test("a zone on a VRRP address is refused at its entry: the instance's interface is the link", () => {
    const r = load(`[vrrp.Z]
interface = "eth0"
virtual_router_id = 7
unicast_src_ip = "fe80::1%eth0"
unicast_peer = ["fe80::2%eth0"]
virtual_ipaddress = ["fe80::100%eth0/64"]
`);
    expect(r.problems).toEqual([
      '4:1 vrrp.Z.unicast_src_ip: invalid address "fe80::1%eth0": a VRRP address is on the instance\'s interface; remove "%eth0"',
      '5:17 vrrp.Z.unicast_peer[0]: invalid address "fe80::2%eth0": a VRRP address is on the instance\'s interface; remove "%eth0"',
      '6:22 vrrp.Z.virtual_ipaddress[0]: invalid address "fe80::100%eth0": a VRRP address is on the instance\'s interface; remove "%eth0"',
    ]);
  });

  test("mixing families is an error at the offending entry", () => {
    const r = load(`[vrrp.M]
interface = "eth0"
virtual_router_id = 7
unicast_src_ip = "10.0.0.1"
unicast_peer = ["fd00::2", "10.0.0.2"]
virtual_ipaddress = ["fd00::100/64", "10.0.0.100/24"]
`);
    expect(r.problems).toEqual([
      '4:1 vrrp.M.unicast_src_ip: invalid address "10.0.0.1": expected an IPv6 address, the family of this instance\'s VIPs',
      '5:28 vrrp.M.unicast_peer[1]: invalid unicast peer "10.0.0.2": expected an IPv6 address, the family of this instance\'s VIPs',
      '6:38 vrrp.M.virtual_ipaddress[1]: VIP "10.0.0.100" is not IPv6 like the first VIP "fd00::100": an instance is one address family; put the other family\'s VIPs in a second [vrrp.NAME]',
    ]);
  });

  test("IPv4 instance with an IPv6 peer", () => {
    const r = load(`[vrrp.P]
interface = "eth0"
virtual_router_id = 7
unicast_peer = ["fe80::2"]
virtual_ipaddress = ["10.0.0.100/24"]
`);
    expect(r.problems).toEqual([
      '4:17 vrrp.P.unicast_peer[0]: invalid unicast peer "fe80::2": expected an IPv4 address, the family of this instance\'s VIPs',
    ]);
  });

  test("version 2 with IPv6 names the version key", () => {
    const r = load(`[vrrp.O]
interface = "eth0"
virtual_router_id = 7
version = 2
virtual_ipaddress = ["fd00::100/64"]
`);
    expect(r.problems).toEqual([
      "4:1 vrrp.O.version: version = 2 cannot carry IPv6 VIPs: VRRPv2 is IPv4 only; set version = 3 or remove the key",
    ]);
  });

  test("a zone id or a bad prefix is refused", () => {
    const r = load(`[vrrp.Z]
interface = "eth0"
virtual_router_id = 7
virtual_ipaddress = ["fe80::1%eth0", "fd00::1/129"]
`);
    expect(r.problems).toEqual([
      '4:22 vrrp.Z.virtual_ipaddress[0]: invalid address "fe80::1%eth0": a VRRP address is on the instance\'s interface; remove "%eth0"',
      '4:38 vrrp.Z.virtual_ipaddress[1]: invalid CIDR "fd00::1/129": prefix must be 0-128',
    ]);
  });
});
