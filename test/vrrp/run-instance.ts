// Test runner: `bun test/vrrp/run-instance.ts CONFIG.json` runs cmd/vrrp.ts with a TcpvsConfig read
// from JSON (vrrp sections may omit fields that have defaults) and logs JSON lines to stdout.

import { runVrrp } from "../../cmd/vrrp.ts";
import type { TcpvsConfig, VrrpConfig } from "../../core/config/types.ts";
import { Logger } from "../../core/log/logger.ts";

export function vrrpDefaults(v: Partial<VrrpConfig> & Pick<VrrpConfig, "name">): VrrpConfig {
  return {
    interface: "eth0",
    virtual_router_id: 51,
    priority: 100,
    advert_int: 1000,
    version: 3,
    preempt: true,
    preempt_delay: 0,
    virtual_ipaddress: [],
    unicast_peer: [],
    v3_checksum_no_pseudo_header: false,
    garp_master_delay: 5000,
    garp_master_repeat: 1,
    garp_master_refresh: 0,
    track_interface: [],
    track_script: [],
    track_pool: [],
    ...v,
  };
}

export function tcpvsConfig(vrrp: VrrpConfig[]): TcpvsConfig {
  return {
    file: "test.json",
    global: {
      control: { kind: "unix", path: "/nonexistent", text: "unix:/nonexistent" },
      control_allow_remote: false,
      log_level: "debug",
      log_format: "json",
      grace: 1000,
      router_id: "test",
    },
    virtual_server: [],
    pool: {},
    vrrp: Object.fromEntries(vrrp.map((v) => [v.name, v])),
  };
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: run-instance.ts CONFIG.json");
    process.exit(2);
  }
  const cfg = (await Bun.file(file).json()) as TcpvsConfig;
  const log = new Logger({
    level: cfg.global.log_level,
    format: "json",
    journald: false,
    sink: { write: (l) => process.stdout.write(l) },
  });
  process.exit(await runVrrp(cfg, { log }));
}
