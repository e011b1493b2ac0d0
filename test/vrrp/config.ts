// TcpvsConfig literals for VRRP tests: every VrrpConfig field with the validator's defaults, so a
// test names only what it cares about.

import type { TcpvsConfig, VrrpConfig } from "../../core/config/types.ts";

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
    check_unicast_src: false,
    v3_checksum_no_pseudo_header: false,
    garp_master_delay: 5000,
    garp_master_repeat: 1,
    garp_master_refresh: 0,
    handover_relay: true,
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
      enable_script_security: false,
      peers: [],
      max_connections: 0,
      max_held_bytes: 64 * 1024 * 1024,
      workers: 1,
    },
    virtual_server: [],
    pool: {},
    vrrp: Object.fromEntries(vrrp.map((v) => [v.name, v])),
  };
}
