// Checks on a VRRP instance's settings that the wire format or the RFC impose; the config loader
// checks types and fills defaults, this catches values a peer would refuse.

import type { VrrpConfig } from "../config/types.ts";

export class VrrpConfigError extends Error {
  readonly code = "VRRP_CONFIG";
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isIpv4(s: string): boolean {
  const m = IPV4.exec(s);
  return !!m && m.slice(1).every((x) => Number(x) <= 255);
}

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
  for (const v of c.virtual_ipaddress) {
    if (!isIpv4(v.address))
      fail(`Use an IPv4 virtual_ipaddress (IPv6 VRRP is not supported yet), not "${v.address}"`);
    if (!Number.isInteger(v.prefix) || v.prefix < 0 || v.prefix > 32)
      fail(`Use a prefix of 0-32 for "${v.address}", not "${v.prefix}"`);
  }
  for (const p of c.unicast_peer) if (!isIpv4(p)) fail(`Use an IPv4 unicast_peer, not "${p}"`);
  if (c.unicast_src_ip !== undefined && !isIpv4(c.unicast_src_ip))
    fail(`Use an IPv4 unicast_src_ip, not "${c.unicast_src_ip}"`);
  if (c.auth_pass !== undefined && c.version === 3) fail("Remove auth_pass: VRRPv3 has no authentication");
  if (c.auth_pass !== undefined && new TextEncoder().encode(c.auth_pass).length > 8) {
    fail(`Shorten auth_pass to 8 bytes (keepalived truncates), not "${c.auth_pass}"`);
  }
}
