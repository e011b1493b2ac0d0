// The normalised configuration every subsystem reads. Keys keep the TOML names operators write
// (snake_case, keepalived/HAProxy words); every duration is a number of milliseconds; every address is
// parsed into an Endpoint. Defaults are filled in by the validator, so nothing here is optional unless
// "absent" means something.

import type { Endpoint } from "../net/endpoint.ts";

export type { Endpoint };

export interface PeerConfig {
  name: string;
  control: Endpoint;
  token_file?: string;
}

export interface GlobalConfig {
  /** Control channel: a unix socket or a loopback TCP address. */
  control: Endpoint;
  /** Token file for the control channel; required when control is not loopback/unix. */
  control_token_file?: string;
  /** Allow a non-loopback control address (still needs a token). */
  control_allow_remote: boolean;
  /** A group whose members may read the control channel (status, watch) but not act: socket 0660. */
  control_group?: string;
  /** Other nodes, for `tcpvs status --all`: their control address and token file. */
  peers?: PeerConfig[];
  /** Prometheus listener, e.g. 127.0.0.1:9100. */
  metrics?: Endpoint;
  log_level: "debug" | "info" | "warn" | "error";
  log_format: "text" | "json";
  /** Grace period for in-flight requests on SIGTERM. */
  grace: number;
  /** Router id used in notify lines and logs; defaults to the host name. */
  router_id: string;
}

export type MatchKind =
  | "path"
  | "path_prefix"
  | "path_regex"
  | "host"
  | "method"
  | "header"
  | "cookie"
  | "query"
  | "source";

export interface RuleConfig {
  /** Every present matcher must match (AND). */
  path?: string;
  path_prefix?: string;
  path_regex?: string;
  /** Exact host or "*.example.com". */
  host?: string;
  method?: string[];
  /** "Name: value-regex" or { name, value?, regex? } flattened to name + optional regex. */
  header?: { name: string; regex?: string };
  cookie?: { name: string; regex?: string };
  query?: { name: string; regex?: string };
  /** CIDRs. */
  source?: string[];
  /** Name or number of a capture group of path_regex used as the hash key (KTCPVS hhttp). */
  hash_capture?: string | number;
  pool: string;
}

export interface VirtualServerConfig {
  name: string;
  listen: Endpoint[];
  mode: "http" | "tcp";
  /** Default pool. */
  pool: string;
  rule: RuleConfig[];
  max_connections: number;
  /** Client header read timeout (slowloris -> 408). */
  client_header_timeout: number;
  client_keepalive_timeout: number;
  /** TCP mode / tunnel idle timeout. */
  idle_timeout: number;
  server_connect_timeout: number;
  server_response_timeout: number;
  max_header_size: number;
  max_headers: number;
  /** 0 = unlimited. */
  max_body_size: number;
  retries: number;
  x_forwarded_for: boolean;
  x_forwarded_proto: boolean;
  forwarded: boolean;
  /** PROXY protocol towards servers: 0 = off, 1 or 2. */
  proxy_protocol: 0 | 1 | 2;
  /** Protocols a request may Upgrade to (lower case); any other is dropped from the request. */
  upgrade_protocols: string[];
  access_log: boolean;
}

export interface ServerConfig {
  /** Defaults to the address text. */
  name: string;
  address: Endpoint;
  weight: number;
  backup: boolean;
  /** 0 = unlimited. */
  max_connections: number;
}

export type CheckType = "tcp" | "http" | "https" | "smtp" | "dns" | "icmp" | "udp" | "script" | "expect";

export interface CheckConfig {
  type: CheckType;
  interval: number;
  timeout: number;
  rise: number;
  fall: number;
  retry: number;
  delay_before_retry: number;
  /** Start down until proven up. */
  alpha: boolean;
  /** Check a different port than the server's. */
  port?: number;
  // http/https
  method: string;
  path: string;
  host?: string;
  status: Array<[number, number]>;
  body_regex?: string;
  digest?: string;
  tls_verify: boolean;
  sni?: string;
  http_version: "1.0" | "1.1";
  // smtp
  helo_name: string;
  // dns
  name: string;
  record_type: string;
  expect_answer?: string;
  // udp / expect
  send?: string;
  expect?: string;
  /** expect: a dialogue of send/expect steps. */
  steps: Array<{ send?: string; expect?: string }>;
  // script
  script?: string;
  dynamic: boolean;
}

export interface PoolConfig {
  name: string;
  scheduler: string;
  /** Scheduler-specific options (hash key, table size, persistence, cookie name ...). */
  scheduler_options: Record<string, unknown>;
  persistence_timeout: number;
  persistence_granularity: string;
  sorry_server?: Endpoint;
  quorum: number;
  hysteresis: number;
  inhibit_on_failure: boolean;
  notify_up?: string;
  notify_down?: string;
  server: ServerConfig[];
  check: CheckConfig[];
}

export interface VrrpTrackScript {
  name: string;
  script: string;
  interval: number;
  timeout: number;
  rise: number;
  fall: number;
  weight: number;
}

export interface VrrpConfig {
  name: string;
  interface: string;
  virtual_router_id: number;
  priority: number;
  advert_int: number;
  version: 2 | 3;
  preempt: boolean;
  preempt_delay: number;
  /** "10.0.0.100/24", optionally "dev eth1" / "label eth0:1" handled by the VIP module. */
  virtual_ipaddress: Array<{ address: string; prefix: number; dev?: string; label?: string }>;
  unicast_src_ip?: string;
  unicast_peer: string[];
  /** keepalived's check_unicast_src: with unicast_peer set, drop adverts from any other source. */
  check_unicast_src?: boolean;
  auth_pass?: string;
  /** v3 checksum without the IPv4 pseudo-header (for routers that leave it out). */
  v3_checksum_no_pseudo_header: boolean;
  garp_master_delay: number;
  garp_master_repeat: number;
  garp_master_refresh: number;
  track_interface: Array<{ name: string; weight: number }>;
  track_script: VrrpTrackScript[];
  /** Pools whose quorum loss lowers this instance's priority by `weight`. */
  track_pool: Array<{ name: string; weight: number }>;
  sync_group?: string;
  notify_master?: string;
  notify_backup?: string;
  notify_fault?: string;
  notify_stop?: string;
  notify?: string;
}

export interface TcpvsConfig {
  /** The file it came from, for messages. */
  file: string;
  global: GlobalConfig;
  virtual_server: VirtualServerConfig[];
  pool: Record<string, PoolConfig>;
  vrrp: Record<string, VrrpConfig>;
}
