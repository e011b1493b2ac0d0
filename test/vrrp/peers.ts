// The VRRP speakers the namespace tests start in a Lab node, for IPv4 and IPv6 alike: a tcpvs instance
// (run-instance.ts over a JSON config) and keepalived with fresh pid files, plus what their logs say.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { VrrpConfig } from "../../core/config/types.ts";
import { tcpvsConfig, vrrpDefaults } from "./config.ts";
import type { Lab, Proc } from "./lab.ts";

const RUNNER = `${import.meta.dir}/run-instance.ts`;
export const KEEPALIVED = "/usr/sbin/keepalived";

export const TCPVS_MASTER = /"msg":"entering MASTER state"/;
export const TCPVS_BACKUP = /"msg":"entering BACKUP state"/;
export const KA_MASTER = /\(VI\) Entering MASTER STATE/;
export const KA_BACKUP = /\(VI\) Entering BACKUP STATE/;
/** What keepalived logs when it rejects an advert (TTL, checksum, interval, addresses, auth). */
export const KA_COMPLAINTS = /invalid|mismatch|not present|checksum|bad|error/i;

/** A tcpvs instance "VI" with 0 GARP delay and `v` over keepalived's defaults, in `node`. */
export function startTcpvs(lab: Lab, dir: string, node: number, v: Partial<VrrpConfig>): Proc {
  const cfg = vrrpDefaults({ name: "VI", garp_master_delay: 0, ...v });
  const file = join(dir, `tcpvs-${node}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(tcpvsConfig([cfg])));
  return lab.spawn(node, [process.execPath, RUNNER, file]);
}

export interface KeepalivedSide {
  version: 2 | 3;
  vrid: number;
  intervalMs: number;
  priority: number;
  /** "ADDRESS/PREFIX". */
  vip: string;
  pass?: string;
  /** Unicast adverts from `src` to `peer` instead of multicast. */
  unicast?: { src: string; peer: string };
}

/**
 * keepalived (VRRP only, console log) with fresh pid files: a crashed run's stale ones would make it
 * refuse to start. Its VRRP child's pid file is pushed to `children` so a teardown can kill it by PID.
 */
export function startKeepalived(
  lab: Lab,
  dir: string,
  node: number,
  s: KeepalivedSide,
  children: string[],
): { p: Proc; vrrpPid: string } {
  const tag = `${s.version}-${s.vrid}-${s.priority}-${Date.now()}`;
  const conf = join(dir, `ka-${tag}.conf`);
  const auth = s.pass ? `authentication {\n    auth_type PASS\n    auth_pass ${s.pass}\n  }` : "";
  const uni = s.unicast
    ? `unicast_src_ip ${s.unicast.src}\n  unicast_peer {\n    ${s.unicast.peer}\n  }`
    : "";
  writeFileSync(
    conf,
    `global_defs {\n  router_id ka${node}\n}\nvrrp_instance VI {\n  state BACKUP\n  interface eth0\n` +
      `  virtual_router_id ${s.vrid}\n  priority ${s.priority}\n  advert_int ${s.intervalMs / 1000}\n` +
      `  version ${s.version}\n  ${auth}\n  ${uni}\n  virtual_ipaddress {\n    ${s.vip}\n  }\n}\n`,
  );
  const pid = (n: string) => join(dir, `${n}-${tag}.pid`);
  const vrrpPid = pid("vrrp");
  children.push(vrrpPid);
  const argv = [KEEPALIVED, "-n", "-l", "-D", "-G", "-P", "-f", conf, "-p", pid("main"), "-r", vrrpPid];
  return { p: lab.spawn(node, [...argv, "-c", pid("check")]), vrrpPid };
}

export function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, "utf8").trim());
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function killPid(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Signal a process we started (unless it already exited) and wait for it. */
/**
 * Signal `p` and wait for it to exit, at most `ms`: then it is killed and the test fails with its last
 * lines (a stop that hangs is a bug to see, not a test timeout with nothing printed).
 */
export async function stopProc(p: Proc, sig: 9 | 15, ms = 15_000): Promise<void> {
  if (p.proc.exitCode === null) p.proc.kill(sig);
  const exited = await Promise.race([p.done.then(() => true), Bun.sleep(ms).then(() => false)]);
  if (exited) return;
  p.proc.kill(9);
  await p.done;
  throw new Error(
    `Process did not exit within ${ms} ms of signal ${sig}; killed. Its last lines:\n${p.lines.slice(-30).join("\n")}`,
  );
}

/** Which of `res` matched last in `lines`. */
export function lastMatch(lines: string[], res: RegExp[]): RegExp | undefined {
  for (let i = lines.length - 1; i >= 0; i--) for (const r of res) if (r.test(lines[i]!)) return r;
  return undefined;
}
