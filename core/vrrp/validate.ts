// Checks on a VRRP instance's settings that the wire format or the RFC impose; the config loader
// checks types and fills defaults, this catches values a peer would refuse.

import type { VrrpConfig } from "../config/types.ts";
import { ipFamily } from "../net/ip.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";

export class VrrpConfigError extends TcpvsError {
  declare readonly code: "bad_vrrp_config";
  constructor(message: string) {
    super("bad_vrrp_config", message);
    this.name = "VrrpConfigError";
  }
}

/** An instance is one address family, the one of its (first) VIP. */
export function vrrpFamily(c: VrrpConfig): 4 | 6 {
  return ipFamily(c.virtual_ipaddress[0]?.address ?? "") ?? 4;
}

const FAMILY_NAME = { 4: "IPv4", 6: "IPv6" } as const;

export function validateVrrpConfig(c: VrrpConfig): void {
  const where = `vrrp "${c.name}"`;
  const fail = (msg: string) => {
    throw new VrrpConfigError(`${msg} in ${where}`);
  };
  if (!Number.isInteger(c.virtual_router_id) || c.virtual_router_id < 1 || c.virtual_router_id > 255) {
    fail(`Set virtual_router_id to 1-255, not "${c.virtual_router_id}"`);
  }
  if (!Number.isInteger(c.priority) || c.priority < 1 || c.priority > 255)
    fail(`Set priority to 1-255, not "${c.priority}"`);
  if (c.version === 2 && (c.advert_int % 1000 !== 0 || c.advert_int < 1000 || c.advert_int > 255_000)) {
    fail(`Use whole seconds (1-255 s) for advert_int with version 2, not "${c.advert_int} ms"`);
  }
  if (c.version === 3 && (c.advert_int % 10 !== 0 || c.advert_int < 10 || c.advert_int > 40_950)) {
    fail(
      `Use a multiple of 10 ms between 10 and 40950 for advert_int with version 3, not "${c.advert_int} ms"`,
    );
  }
  if (c.virtual_ipaddress.length === 0) fail("Add at least one virtual_ipaddress");
  if (c.virtual_ipaddress.length > 255) fail("Use at most 255 virtual_ipaddress entries");
  const family = vrrpFamily(c);
  const fam = FAMILY_NAME[family];
  const max = family === 4 ? 32 : 128;
  for (const v of c.virtual_ipaddress) {
    const f = ipFamily(v.address);
    if (f === undefined) fail(`Use an IPv4 or IPv6 virtual_ipaddress, not "${v.address}"`);
    if (f !== family)
      fail(`Use ${fam} for every virtual_ipaddress (one family per instance), not "${v.address}"`);
    if (!Number.isInteger(v.prefix) || v.prefix < 0 || v.prefix > max)
      fail(`Use a prefix of 0-${max} for "${v.address}", not "${v.prefix}"`);
  }
  if (family === 6 && c.version !== 3)
    fail("Set version = 3 for IPv6 virtual addresses: VRRPv2 is IPv4 only");
  for (const p of c.unicast_peer)
    if (ipFamily(p) !== family) fail(`Use an ${fam} unicast_peer like the VIPs, not "${p}"`);
  if (c.unicast_src_ip !== undefined && ipFamily(c.unicast_src_ip) !== family)
    fail(`Use an ${fam} unicast_src_ip like the VIPs, not "${c.unicast_src_ip}"`);
  if (c.auth_pass !== undefined && c.version === 3) fail("Remove auth_pass: VRRPv3 has no authentication");
  if (c.auth_pass !== undefined && new TextEncoder().encode(c.auth_pass).length > 8) {
    fail(`Shorten auth_pass to 8 bytes (keepalived truncates), not "${c.auth_pass}"`);
  }
}
