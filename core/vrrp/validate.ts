// The guard `tcpvs vrrp` runs at start on an instance it is handed (tests and callers build configs
// without the loader): the wire format's limits. advert_int and auth_pass use the schema's own rules,
// so the loader and this guard cannot disagree.

import type { VrrpConfig } from "../config/types.ts";
import { advertIntProblem, authPassProblem } from "../config/vrrp-schema.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";
import { ipFamily } from "../net/ip.ts";

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
  const advert = advertIntProblem(c.version, c.advert_int);
  if (advert) fail(advert);
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
  const auth = c.auth_pass === undefined ? undefined : authPassProblem(c.version, c.auth_pass);
  if (auth) fail(auth);
}
