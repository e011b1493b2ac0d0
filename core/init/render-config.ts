// The two tcpvs.toml files of a two-node appliance: both nodes run the balancer over both nodes' app,
// one holds the VIP by a higher VRRP priority. The files differ only in priority and comments.

import type { InitAnswers, Role } from "./init-answers.ts";

export const MASTER_PRIORITY = 150;
export const BACKUP_PRIORITY = 100;
export const CONTROL_SOCKET = "unix:/run/tcpvs/control.sock";

/** A TOML basic string; JSON's escapes are all valid TOML escapes. */
function q(s: string): string {
  return JSON.stringify(s);
}

export function renderConfig(a: InitAnswers, role: Role): string {
  const priority = role === "master" ? MASTER_PRIORITY : BACKUP_PRIORITY;
  const lines = [
    `# tcpvs configuration written by \`tcpvs init\` for the ${role} node.`,
    `# Its peer runs the same file with priority ${role === "master" ? BACKUP_PRIORITY : MASTER_PRIORITY}.`,
    "",
    "[global]",
    `control = ${q(CONTROL_SOCKET)}`,
    `router_id = ${q(role === "master" ? "node-a" : "node-b")}`,
    "",
    "[[virtual_server]]",
    `name = "web"`,
    `listen = [${q(a.listen)}]`,
    `mode = ${q(a.check.type === "http" ? "http" : "tcp")}`,
    `pool = "app"`,
    "",
    "[pool.app]",
    `scheduler = "wlc"`,
  ];
  for (const b of a.backends) {
    lines.push("  [[pool.app.server]]");
    if (b.name !== undefined) lines.push(`  name = ${q(b.name)}`);
    lines.push(`  address = ${q(b.address)}`, "  weight = 1");
  }
  lines.push("  [[pool.app.check]]", `  type = ${q(a.check.type)}`);
  if (a.check.type === "http") lines.push(`  path = ${q(a.check.path)}`);
  lines.push(
    `  interval = "1s"`,
    `  timeout = "500ms"`,
    "  rise = 2",
    "  fall = 2",
    "",
    "[vrrp.VI_1]",
    `interface = ${q(a.interface)}`,
    `virtual_router_id = ${a.vrid}`,
    `priority = ${priority}`,
    `advert_int = "1s"`,
    "version = 3",
    "preempt = true",
    `virtual_ipaddress = [${q(a.vip)}]`,
    ...unicastLines(a, role),
    "# No live application behind this director: hand the VIP to the peer.",
    `track_pool = [{ name = "app", weight = -60 }]`,
    "",
  );
  return lines.join("\n");
}

/** Unicast adverts: each node sends from its own address to the other's. */
function unicastLines(a: InitAnswers, role: Role): string[] {
  if (!a.unicast) return [];
  const [src, peer] = role === a.role ? [a.unicast.self, a.unicast.peer] : [a.unicast.peer, a.unicast.self];
  return [`unicast_src_ip = ${q(src)}`, `unicast_peer = [${q(peer)}]`];
}

/** This node's file and its peer's. */
export function renderPair(a: InitAnswers): { self: string; peer: string } {
  return { self: renderConfig(a, a.role), peer: renderConfig(a, a.role === "master" ? "backup" : "master") };
}
