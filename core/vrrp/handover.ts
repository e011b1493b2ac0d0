// A planned handover's connection relay, at the edges of one IPv4 instance (the rulesets and why they
// work: handover-relay.ts). The new master relays the resigned peer's connections for a bounded time;
// the old master hides the VIPs it hands over and keeps them until its drain ends. Anything that fails
// (no nft, an old kernel) is logged once and the handover goes on as before: VIPs removed at once, no
// relay. IPv6 instances never relay (NDP would need its own filter).

import { readFileSync } from "node:fs";
import type { VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import {
  dropTableRuleset,
  handoverTables,
  hideRuleset,
  relayedPackets,
  relayMark,
  relayRuleset,
} from "./handover-relay.ts";
import { applyNft, listNft } from "./nft.ts";
import { connectionsTo } from "./vip-connections.ts";
import type { VipSet } from "./vip.ts";

/** The relay outlives the peer's drain (its grace) by this much: the peer's stop starts a little later. */
export const RELAY_MARGIN_MS = 2000;
/** Hidden VIPs are kept at most grace plus this, should nobody say the drain is over. */
export const HIDE_MARGIN_MS = 1000;
/**
 * ... and at least this long unless the drain's owner says it is over: a client that missed the new
 * master's gratuitous ARP still sends here for a while, and is served rather than dropped.
 */
export const HIDE_FLOOR_MS = 1000;
const CONNECTION_POLL_MS = 200;

export class Handover {
  private relayTimer: ReturnType<typeof setTimeout> | undefined;
  private relaying = false;
  private hidden: VipSet | undefined;
  private hideTimer: ReturnType<typeof setTimeout> | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private waiters: Array<() => void> = [];
  /** nft failed once: the handovers of this instance go on without relay. */
  private off = false;

  constructor(
    private readonly cfg: () => VrrpConfig,
    private readonly log: Logger,
    private readonly graceMs: () => number,
    /** Our own address on the interface (the source of our adverts). */
    private readonly own: () => string,
  ) {}

  private get usable(): boolean {
    const c = this.cfg();
    return !this.off && c.handover_relay && c.virtual_ipaddress.every((v) => !v.address.includes(":"));
  }

  private get tables() {
    return handoverTables(this.cfg().interface, this.cfg().virtual_router_id);
  }

  private get vips(): string[] {
    return this.cfg().virtual_ipaddress.map((v) => v.address);
  }

  private nft(ruleset: string, what: string): boolean {
    const err = applyNft(ruleset);
    if (!err) return true;
    this.off = true;
    this.log.warn(`${what} failed: planned handovers go on without the connection relay`, { error: err });
    return false;
  }

  /** At start: tables a crashed run left behind go (with the VIPs VipSet.removeLeftovers drops). */
  clearLeftovers(): void {
    if (!this.usable) return;
    const t = this.tables;
    this.nft(dropTableRuleset("ip", t.relay) + dropTableRuleset("arp", t.hide), "clearing handover tables");
  }

  /** New master, before its VIPs: relay the resigned peer's connections to it, for the peer's drain. */
  relayIn(peer: string): void {
    if (!this.usable) return;
    const c = this.cfg();
    const spec = {
      table: this.tables.relay,
      vips: this.vips,
      peer,
      iface: c.interface,
      mark: relayMark(c.virtual_router_id),
    };
    if (!this.nft(relayRuleset(spec), "installing the handover relay")) return;
    this.relaying = true;
    const bound = this.graceMs() + RELAY_MARGIN_MS;
    this.log.info("relaying the old master's connections to it", {
      peer,
      table: spec.table,
      bound_ms: bound,
    });
    clearTimeout(this.relayTimer);
    this.relayTimer = setTimeout(() => this.endRelay("its drain is over"), bound);
  }

  /** Bound reached, MASTER left, or stop. */
  endRelay(why: string): void {
    if (!this.relaying) return;
    this.relaying = false;
    clearTimeout(this.relayTimer);
    const table = this.tables.relay;
    const listing = listNft(["chain", "ip", table, "relay"]);
    const relayed = listing === undefined ? undefined : relayedPackets(listing);
    if (this.nft(dropTableRuleset("ip", table), "removing the handover relay"))
      this.log.info("handover relay removed", { why, relayed_packets: relayed });
  }

  /** Old master, the peer now MASTER: hide the VIPs and keep them for the drain, or remove them. */
  retire(vips: VipSet): void {
    if (this.hidden) this.release("retired again");
    const hide = hideRuleset(this.tables.hide, this.vips, this.own());
    if (!this.usable || !this.own() || !this.nft(hide, "hiding the VIPs")) {
      vips.remove();
      return;
    }
    vips.hide();
    this.hidden = vips;
    const bound = this.graceMs() + HIDE_MARGIN_MS;
    this.log.info("VIPs hidden from ARP, kept while their connections drain", { bound_ms: bound });
    this.hideTimer = setTimeout(() => this.release("drain bound reached"), bound);
    const since = performance.now();
    this.pollTimer = setInterval(() => {
      if (performance.now() - since >= HIDE_FLOOR_MS && this.openConnections() === 0)
        this.release("no connection left on them");
    }, CONNECTION_POLL_MS);
  }

  /** Connections still using a VIP (unknown: counted as one, so the bound decides). */
  private openConnections(): number {
    try {
      return connectionsTo(readFileSync("/proc/net/tcp", "utf8"), this.vips);
    } catch {
      return 1;
    }
  }

  /** MASTER again during the drain: the addresses stay, the hide goes. */
  reclaim(): void {
    if (!this.hidden) return;
    this.unhide();
  }

  /** The drain is over: the hidden VIPs and the hide go. */
  release(why: string): void {
    const vips = this.hidden;
    if (!vips) return;
    vips.remove();
    this.unhide();
    this.log.info("hidden VIPs removed", { why });
  }

  /** Resolves once no VIPs are hidden (at once when none are). */
  drained(): Promise<void> {
    if (!this.hidden) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private unhide(): void {
    this.hidden = undefined;
    clearTimeout(this.hideTimer);
    clearInterval(this.pollTimer);
    this.nft(dropTableRuleset("arp", this.tables.hide), "unhiding the VIPs");
    for (const w of this.waiters.splice(0)) w();
  }

  get hiding(): boolean {
    return this.hidden !== undefined;
  }
}
