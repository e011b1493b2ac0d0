// The flags of `tcpvs init`: the answers its prompts ask for, for a run without a terminal. The help
// text, the man page and the completion are generated from these.

import type { OptionSpec } from "../cli/parse-argv.ts";

export const INIT_OPTIONS = [
  {
    name: "role",
    type: "string",
    arg: "ROLE",
    description: "master (owns the VIP) or backup",
    example: "master",
    choices: ["master", "backup"],
  },
  {
    name: "vip",
    type: "string",
    arg: "CIDR",
    description: "the virtual IP with its prefix",
    example: "10.0.0.100/24",
  },
  {
    name: "interface",
    type: "string",
    arg: "IFACE",
    description: "interface for VRRP and the VIP",
    example: "eth0",
  },
  {
    name: "vrid",
    type: "string",
    arg: "N",
    description: "virtual router id 1-255, the same on both nodes",
    example: "51",
  },
  {
    name: "backend",
    type: "string",
    multiple: true,
    arg: "ADDR",
    description:
      "an application server as address:port, named with =NAME (else named by its address); repeat, or comma-separate",
    example: "10.0.0.11:8080=web-a",
  },
  {
    name: "check",
    type: "string",
    arg: "CHECK",
    description: 'health check: "tcp" or "http:/path"',
    example: "http:/health",
  },
  {
    name: "listen",
    type: "string",
    arg: "ADDR",
    description: "listener (default 0.0.0.0:80)",
    example: "0.0.0.0:8080",
  },
  {
    name: "unicast-src-ip",
    type: "string",
    arg: "ADDR",
    description: "VRRP over unicast: this node's address (with --unicast-peer; default multicast)",
    example: "10.0.0.11",
  },
  {
    name: "unicast-peer",
    type: "string",
    arg: "ADDR",
    description: "VRRP over unicast: the peer node's address (with --unicast-src-ip)",
    example: "10.0.0.12",
  },
  {
    name: "out",
    type: "string",
    arg: "PATH",
    description: "this node's config file",
    example: "node-a.toml",
  },
  {
    name: "peer-out",
    type: "string",
    arg: "PATH",
    description: "the peer node's config file",
    example: "node-b.toml",
  },
  { name: "force", type: "boolean", description: "overwrite existing files without asking" },
] as const satisfies readonly OptionSpec[];
