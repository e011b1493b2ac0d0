// How many TCP connections of this network namespace still use one of the given IPv4 addresses as
// their local address, from the text of /proc/net/tcp: an old master keeps its hidden VIPs until none
// is left (handover.ts). Listeners, TIME_WAIT and CLOSE count as none: nothing more to deliver.

import { endianness } from "node:os";

/** /proc/net/tcp states that need no more segments: LISTEN, TIME_WAIT, CLOSE. */
const IDLE = new Set(["0A", "06", "07"]);

/** "10.0.0.100" as /proc/net/tcp prints it: the 32-bit word in host order, in hex. */
function procHex(ip: string, little: boolean): string {
  const bytes = ip.split(".").map(Number);
  const ordered = little ? bytes.reverse() : bytes;
  return ordered
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
}

export function connectionsTo(procNetTcp: string, vips: string[], little = endianness() === "LE"): number {
  const wanted = new Set(vips.map((v) => procHex(v, little)));
  let n = 0;
  for (const line of procNetTcp.split("\n").slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (!local || !state || IDLE.has(state)) continue;
    if (wanted.has(local.split(":")[0]!.toUpperCase())) n++;
  }
  return n;
}
