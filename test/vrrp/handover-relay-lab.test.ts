// The handover relay's mechanism, deterministically, in network namespaces: client C, old master A
// (holds the VIP, serves TCP) and new master B on one segment. Instead of waiting for a gratuitous ARP
// to land at the right instant, the test moves C's ARP entry for the VIP itself, between two segments
// of one connection. Without the relay B's kernel resets that connection; with B's relay table and A's
// hidden VIP the connection goes on with A to its FIN, while new connections reach B.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  handoverTables,
  hideRuleset,
  relayedPackets,
  relayMark,
  relayRuleset,
} from "../../core/vrrp/handover-relay.ts";
import { missingTools } from "../tools.ts";
import { isRoot, Lab, type Proc, tell, waitLine } from "./lab.ts";

const SKIP = !isRoot() ? "needs root" : missingTools("the handover relay lab test", "ip", "nft", "arping");
if (!isRoot()) console.log("skipping the handover relay lab test: it needs root (ip netns)");

const VIP = "10.77.0.100";
const PORT = 7000;
const PEER = join(import.meta.dir, "relay-peer.ts");
const A = 1;
const B = 2;
const C = 3;

let lab: Lab;
beforeAll(() => {
  if (!SKIP) lab = new Lab(3);
});
afterAll(() => lab?.destroy());

function nft(node: number, ruleset: string): void {
  const r = Bun.spawnSync(["ip", "netns", "exec", lab.ns(node), "nft", "-f", "-"], {
    stdin: Buffer.from(ruleset),
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`nft in node ${node} failed: ${r.stderr.toString()}`);
}

/** C's ARP entry for the VIP now names `node`'s MAC, as a gratuitous ARP from it would make it. */
function arpTo(node: number): void {
  lab.run(["ip", "-n", lab.ns(C), "neigh", "replace", VIP, "lladdr", lab.mac(node), "dev", "eth0"]);
}

/** The next event of connection `id` after line `from`. */
async function next(client: Proc, id: string, from: number): Promise<Record<string, string>> {
  const i = await waitLine(client, new RegExp(`"id":"${id}","event":"(data|error|close)"`), 5000, from);
  return JSON.parse(client.lines[i]!) as Record<string, string>;
}

async function send(client: Proc, id: string, text: string): Promise<Record<string, string>> {
  const from = client.lines.length;
  tell(client, `send ${id} ${text}`);
  return next(client, id, from);
}

async function open(client: Proc, id: string, localPort = ""): Promise<void> {
  const from = client.lines.length;
  tell(client, `open ${id} ${VIP} ${PORT} ${localPort}`);
  await waitLine(client, new RegExp(`"id":"${id}","event":"open"`), 5000, from);
}

describe.skipIf(!!SKIP)("handover relay in namespaces", () => {
  test("a connection opened with the old master survives the ARP move only with the relay", async () => {
    const t = handoverTables("eth0", 51);
    lab.run(["ip", "-n", lab.ns(A), "addr", "add", `${VIP}/24`, "dev", "eth0"]);
    const serverA = lab.spawn(A, [process.execPath, PEER, "server", "A", "0.0.0.0", String(PORT)]);
    const serverB = lab.spawn(B, [process.execPath, PEER, "server", "B", "0.0.0.0", String(PORT)]);
    await waitLine(serverA, /listening/, 10_000);
    await waitLine(serverB, /listening/, 10_000);
    const client = lab.spawn(C, [process.execPath, PEER, "client"], "pipe");

    // Without the relay: B's kernel does not know the connection and resets it.
    await open(client, "c0");
    expect(await send(client, "c0", "one")).toMatchObject({ event: "data", text: "A:one" });
    lab.run(["ip", "-n", lab.ns(B), "addr", "add", `${VIP}/24`, "dev", "eth0"]);
    arpTo(B);
    expect(await send(client, "c0", "two")).toMatchObject({ event: "error", code: "ECONNRESET" });
    lab.run(["ip", "-n", lab.ns(B), "addr", "del", `${VIP}/24`, "dev", "eth0"]);
    arpTo(A);

    // With it: B relays the connection it never saw open to A, which answers C directly.
    await open(client, "c1");
    expect(await send(client, "c1", "one")).toMatchObject({ event: "data", text: "A:one" });
    await open(client, "c3", "40001");
    expect(await send(client, "c3", "one")).toMatchObject({ event: "data", text: "A:one" });
    nft(
      B,
      relayRuleset({ table: t.relay, vips: [VIP], peer: lab.ip(A), iface: "eth0", mark: relayMark(51) }),
    );
    lab.run(["ip", "-n", lab.ns(B), "addr", "add", `${VIP}/24`, "dev", "eth0"]);
    nft(A, hideRuleset(t.hide, [VIP], lab.ip(A)));
    arpTo(B);
    // A forgets C's MAC: its ARP request, sent from the hidden VIP, must still get through.
    lab.run(["ip", "-n", lab.ns(A), "neigh", "flush", "dev", "eth0"]);
    expect(await send(client, "c1", "two")).toMatchObject({ event: "data", text: "A:two" });
    expect(await send(client, "c1", "three")).toMatchObject({ event: "data", text: "A:three" });
    const listing = lab.sh(B, `nft list chain ip ${t.relay} relay`).out;
    expect(relayedPackets(listing)).toBeGreaterThanOrEqual(2);

    // A new connection is B's own: seen from its SYN, never relayed.
    await open(client, "c2");
    expect(await send(client, "c2", "x")).toMatchObject({ event: "data", text: "B:x" });

    // The old connection's FIN reaches A through the relay; A's own FIN closes it at C.
    const endsAt = serverA.lines.length;
    const from = client.lines.length;
    tell(client, "end c1");
    await waitLine(serverA, /"event":"end"/, 5000, endsAt);
    expect(await next(client, "c1", from)).toMatchObject({ event: "close" });
    expect(serverB.lines.some((l) => l.includes('"end"'))).toBe(false);

    // A keeps the VIP but no longer answers ARP for it: only B's MAC comes back.
    // A connection B relayed and A closed first: B's conntrack saw only C's half of the close, so its
    // marked entry lingers. A new connection from the same port is B's own, not relayed to A.
    expect(await send(client, "c3", "bye")).toMatchObject({ event: "data", text: "A:bye" });
    await waitLine(client, /"id":"c3","event":"close"/, 5000);
    await open(client, "c4", "40001");
    expect(await send(client, "c4", "x")).toMatchObject({ event: "data", text: "B:x" });

    expect(lab.hasAddr(A, VIP)).toBe(true);
    const arp = lab.sh(C, `arping -c 2 -w 3 -i eth0 ${VIP}`).out.toLowerCase();
    expect(arp).toContain(lab.mac(B).toLowerCase());
    expect(arp).not.toContain(lab.mac(A).toLowerCase());
  }, 60_000);
});
