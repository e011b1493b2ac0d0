import { describe, expect, test } from "bun:test";
import {
  dropTableRuleset,
  handoverTables,
  hideRuleset,
  relayedPackets,
  relayMark,
  relayRuleset,
} from "../../core/vrrp/handover-relay.ts";

describe("handover relay rulesets", () => {
  test("table names are nft identifiers whatever the interface is called", () => {
    expect(handoverTables("eth0.10-x", 51)).toEqual({
      relay: "tcpvs_relay_eth0_10_x_51",
      hide: "tcpvs_hide_eth0_10_x_51",
    });
    expect(relayMark(51)).toBe(0x74760033);
  });

  test("the relay marks mid-stream pickups, relays marked and invalid FIN/RST, hides them from TCP", () => {
    const r = relayRuleset({
      table: "t",
      vips: ["10.0.0.100", "10.0.0.101"],
      peer: "10.0.0.11",
      iface: "eth0",
      mark: 0x74760033,
    });
    const lines = r.split("\n").map((l) => l.trim());
    // Replaced in one transaction, a leftover table or not.
    expect(lines.slice(0, 3)).toEqual(["table ip t {}", "delete table ip t", "table ip t {"]);
    expect(lines).toContain("type filter hook prerouting priority -150; policy accept;");
    const to = "ip daddr { 10.0.0.100, 10.0.0.101 }";
    // A new SYN on a relayed connection's lingering tuple is this node's: unmarked before the relay.
    const unmark = lines.indexOf(`${to} tcp flags & (syn | ack) == syn ct mark 0x74760033 ct mark set 0`);
    expect(unmark).toBeGreaterThan(0);
    expect(lines.indexOf(`${to} ct mark 0x74760033 goto relay`)).toBe(unmark + 1);
    expect(lines).toContain(
      `${to} tcp flags & (syn | rst) == 0 ct state new ct mark set 0x74760033 goto relay`,
    );
    expect(lines).toContain(
      `${to} tcp flags & syn == 0 tcp flags & (fin | rst) != 0 ct state invalid goto relay`,
    );
    const relay = lines.slice(lines.indexOf("chain relay {"));
    expect(relay.slice(1, 4)).toEqual([
      "counter",
      'dup to 10.0.0.11 device "eth0"',
      "meta pkttype set other",
    ]);
    expect(r.endsWith("}\n")).toBe(true);
  });

  test("the hide drops the old master's ARP replies for its VIPs; its own requests name its address", () => {
    const lines = hideRuleset("h", ["10.0.0.100"], "10.0.0.11")
      .split("\n")
      .map((l) => l.trim());
    expect(lines.slice(0, 3)).toEqual(["table arp h {}", "delete table arp h", "table arp h {"]);
    expect(lines).toContain("type filter hook output priority 0; policy accept;");
    const rewrite = lines.indexOf(
      "arp operation request arp saddr ip { 10.0.0.100 } arp saddr ip set 10.0.0.11",
    );
    const drop = lines.indexOf("arp saddr ip { 10.0.0.100 } drop");
    expect(rewrite).toBeGreaterThan(0);
    expect(drop).toBeGreaterThan(rewrite); // a rewritten request no longer matches the drop
  });

  test("the relay's packet count is read from nft's listing", () => {
    const listing =
      "table ip t {\n\tchain relay {\n\t\tcounter packets 12 bytes 840\n\t\tdup to 10.0.0.11\n\t}\n}\n";
    expect(relayedPackets(listing)).toBe(12);
    expect(relayedPackets("table ip t {}\n")).toBeUndefined();
  });

  test("dropping a table succeeds whether it exists or not", () => {
    expect(dropTableRuleset("arp", "h")).toBe("table arp h {}\ndelete table arp h\n");
  });
});
