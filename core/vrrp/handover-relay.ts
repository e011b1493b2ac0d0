// The nftables rulesets of a planned handover's connection relay (IPv4 only), as text for `nft -f -`.
//
// Relay in, on the new master: a TCP segment to a VIP that conntrack picks up mid-stream (`ct state
// new` without SYN: a connection this node never saw open, so one of the old master's) is marked,
// copied to the old master (`dup to PEER device IF`, unchanged: still addressed to the VIP) and kept
// from this node's own TCP (`meta pkttype set other`: tcp_v4_rcv discards it silently instead of
// answering with a reset). The packet itself is not dropped, so its conntrack entry is confirmed and
// the mark follows the connection's FIN and RST, which conntrack would not pick up on their own. A
// FIN or RST that is the first segment seen of such a connection is conntrack-invalid: relayed too.
// Tracking starts when the table is installed, so every connection this node accepts afterwards is
// seen from its SYN and never relayed; a new SYN on the tuple of a relayed connection whose entry
// lingers (conntrack saw only the client's half of its close) is this node's again: its mark is
// cleared.
//
// Hide, on the old master: its ARP replies for the VIPs are dropped, so it stops answering for them
// but keeps the addresses: its kernel still delivers the relayed segments to the connections it has,
// and answers the client directly. Its own ARP requests (it must still resolve its clients) would name
// the VIP as their sender when they solicit for a reply sent from it, and pull the client's entry back:
// they name the node's own address instead.

export interface RelaySpec {
  table: string;
  /** IPv4 VIPs. */
  vips: string[];
  /** The old master's address (the source of its priority-0 advert). */
  peer: string;
  iface: string;
  /** conntrack mark of relayed connections. */
  mark: number;
}

/** nft names: letters, digits and underscores only, whatever the interface is called. */
const ident = (s: string) => s.replace(/[^A-Za-z0-9_]/g, "_");

/** The relay table's and the hide table's names for an instance on `iface` with `vrid`. */
export function handoverTables(iface: string, vrid: number): { relay: string; hide: string } {
  const tail = `${ident(iface)}_${vrid}`;
  return { relay: `tcpvs_relay_${tail}`, hide: `tcpvs_hide_${tail}` };
}

/** The conntrack mark for an instance: "tv" and the VRID, unlikely to meet anybody else's marks. */
export function relayMark(vrid: number): number {
  return 0x74760000 + vrid;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
const set = (xs: string[]) => `{ ${xs.join(", ")} }`;

/**
 * Replaces a table atomically: declaring it first makes `delete` succeed whether or not a run that
 * crashed left one behind, and nft applies the file as one transaction.
 */
function replace(family: "ip" | "arp", table: string, body: string[]): string {
  return [
    `table ${family} ${table} {}`,
    `delete table ${family} ${table}`,
    `table ${family} ${table} {`,
    ...body,
    "}",
    "",
  ].join("\n");
}

/** The ruleset that removes `table` if present (and does nothing otherwise). */
export function dropTableRuleset(family: "ip" | "arp", table: string): string {
  return `table ${family} ${table} {}\ndelete table ${family} ${table}\n`;
}

/** The new master's relay of the old master's connections. */
export function relayRuleset(s: RelaySpec): string {
  const to = `ip daddr ${set(s.vips)}`;
  const m = hex(s.mark);
  return replace("ip", s.table, [
    "\tchain prerouting {",
    // After conntrack (-200): the rules read the state it has just decided.
    "\t\ttype filter hook prerouting priority -150; policy accept;",
    `\t\t${to} tcp flags & (syn | ack) == syn ct mark ${m} ct mark set 0`,
    `\t\t${to} ct mark ${m} goto relay`,
    `\t\t${to} tcp flags & (syn | rst) == 0 ct state new ct mark set ${m} goto relay`,
    `\t\t${to} tcp flags & syn == 0 tcp flags & (fin | rst) != 0 ct state invalid goto relay`,
    "\t}",
    "\tchain relay {",
    // Counted, so the log says how much the handover relayed.
    "\t\tcounter",
    `\t\tdup to ${s.peer} device "${s.iface}"`,
    "\t\tmeta pkttype set other",
    "\t}",
  ]);
}

/** The packets the relay chain counted, from `nft list chain ip TABLE relay`. */
export function relayedPackets(listing: string): number | undefined {
  const m = /counter packets (\d+)/.exec(listing);
  return m ? Number(m[1]) : undefined;
}

/** The old master's silence about the VIPs it keeps for its drain; `own` is its own IPv4 address. */
export function hideRuleset(table: string, vips: string[], own: string): string {
  return replace("arp", table, [
    "\tchain output {",
    "\t\ttype filter hook output priority 0; policy accept;",
    `\t\tarp operation request arp saddr ip ${set(vips)} arp saddr ip set ${own}`,
    `\t\tarp saddr ip ${set(vips)} drop`,
    "\t}",
  ]);
}
