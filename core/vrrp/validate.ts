// The guard `tcpvs vrrp` runs at start on an instance it is handed: a config built in code (tests, callers)
// skips the loader, so the instance is checked here by the config schema's own rules; the loader and this
// guard cannot disagree.

import type { VrrpConfig } from "../config/types.ts";
import { vrrpInstanceProblems } from "../config/vrrp-schema.ts";
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

/** Refuse an instance a peer would refuse, by the config schema's rules (a config built in code skips the loader). */
export function validateVrrpConfig(c: VrrpConfig): void {
  const problem = vrrpInstanceProblems(c)[0];
  if (problem) throw new VrrpConfigError(`Cannot run vrrp "${c.name}": ${problem.path}: ${problem.message}`);
}
