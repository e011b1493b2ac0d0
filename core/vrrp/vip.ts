// An instance's virtual addresses: added and removed through netlink, announced by gratuitous ARP
// (IPv4) or unsolicited neighbour advertisements (IPv6) in bursts of garp_master_repeat, once more after
// garp_master_delay and every garp_master_refresh while they are held.

import type { VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { GarpSender } from "./garp.ts";
import { ifIndex, ifMac } from "../sys/iface.ts";
import { ipv6Forwarding, NaSender } from "./ndisc.ts";
import { type AddressSpec, dropAddress, ensureAddress } from "../sys/netlink.ts";

interface Vip extends AddressSpec {
  mac: Uint8Array;
  dev: string;
}

export class VipSet {
  private readonly vips: Vip[];
  private garp: GarpSender | undefined;
  private na: NaSender | undefined;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private held = false;

  constructor(
    private readonly cfg: VrrpConfig,
    private readonly log: Logger,
  ) {
    const macs = new Map<string, Uint8Array>();
    const macOf = (dev: string) => macs.get(dev) ?? macs.set(dev, ifMac(dev)).get(dev)!;
    this.vips = cfg.virtual_ipaddress.map((v) => {
      const dev = v.dev ?? cfg.interface;
      return {
        ifindex: ifIndex(dev),
        address: v.address,
        prefix: v.prefix,
        label: v.label,
        mac: macOf(dev),
        dev,
      };
    });
    // Opened up front so a missing CAP_NET_RAW shows at start, not at the first failover.
    if (this.vips.some((v) => !v.address.includes(":"))) this.garp = new GarpSender();
    if (this.vips.some((v) => v.address.includes(":"))) this.na = new NaSender();
  }

  /** A crashed run may have left our VIPs behind: nobody should hold them until we are MASTER. */
  removeLeftovers(): void {
    for (const v of this.vips)
      if (dropAddress(v)) this.log.warn("removed a VIP left behind", { vip: v.address });
  }

  add(): void {
    this.held = true;
    for (const v of this.vips) ensureAddress(v);
  }

  remove(): void {
    this.held = false;
    this.stopAnnouncing();
    for (const v of this.vips) dropAddress(v);
  }

  /**
   * Handed over, the addresses kept for the connections still draining (Handover.retire has hidden
   * them from ARP): no longer held, no more announcements.
   */
  hide(): void {
    this.held = false;
    this.stopAnnouncing();
  }

  /** Whether the addresses are up (MASTER). */
  get isHeld(): boolean {
    return this.held;
  }

  /**
   * A reload's new set replaces this one: addresses it no longer lists are dropped, the others stay
   * configured (a master keeps serving them); this set's timers and sockets are closed.
   */
  replaceBy(next: VipSet): void {
    const key = (v: Vip) => `${v.ifindex}/${v.address}/${v.prefix}`;
    const keep = new Set(next.vips.map(key));
    if (this.held) for (const v of this.vips) if (!keep.has(key(v))) dropAddress(v);
    this.held = false;
    this.close();
  }

  /** Start the GARP schedule (called on becoming MASTER, after add()). */
  announce(): void {
    this.stopAnnouncing();
    this.burst();
    const c = this.cfg;
    if (c.garp_master_delay > 0) this.later(c.garp_master_delay, () => this.burst());
    if (c.garp_master_refresh > 0) {
      const tick = () => {
        this.burst();
        this.later(c.garp_master_refresh, tick);
      };
      this.later(c.garp_master_refresh, tick);
    }
  }

  close(): void {
    this.stopAnnouncing();
    this.garp?.close();
    this.na?.close();
    this.garp = undefined;
    this.na = undefined;
  }

  /** Stop the GARP schedule (delay and refresh bursts), keeping the addresses. */
  stopAnnouncing(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.held) fn();
    }, ms);
    this.timers.add(t);
  }

  private burst(): void {
    for (let i = 0; i < Math.max(1, this.cfg.garp_master_repeat); i++) {
      for (const v of this.vips) {
        try {
          if (v.address.includes(":")) {
            this.na ??= new NaSender();
            this.na.send(v.ifindex, v.mac, v.address, ipv6Forwarding(v.dev));
          } else {
            this.garp ??= new GarpSender();
            this.garp.send(v.ifindex, v.mac, v.address);
          }
        } catch (e) {
          this.log.warn(
            v.address.includes(":") ? "neighbour advertisement failed" : "gratuitous ARP failed",
            {
              vip: v.address,
              error: e instanceof Error ? e.message : String(e),
            },
          );
        }
      }
    }
  }
}
