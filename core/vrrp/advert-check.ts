// Receive side of one VRRP instance: what a packet must look like to count as an advert for it, and
// how many were turned away for each reason. Kept apart from the instance so the acceptance rules
// read in one place, next to the counters the status and metrics report.

import type { VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Received } from "./socket4.ts";
import { type Advert, type DropReason, type Expect, validateAdvert, validateVrrp } from "./packet.ts";

export type DropHandler = (instance: string, reason: DropReason) => void;

export class AdvertCheck {
  /** Dropped packets per reason, for the life of the instance (`tcpvs vrrp` prints them on stop). */
  readonly drops: Map<DropReason, number>;
  private readonly cfg: VrrpConfig;
  private readonly ifindex: number;
  private readonly onDrop: DropHandler;
  private readonly log: Logger;
  // Fixed for this check's life (a reload that changes them builds a new one): worked out once, not per
  // packet.
  private readonly addresses: string[];
  private readonly peers: string[] | undefined;

  /** `drops`: the counters to go on counting in (a reload keeps an instance's counts). */
  constructor(
    cfg: VrrpConfig,
    ifindex: number,
    onDrop: DropHandler,
    log: Logger,
    drops = new Map<DropReason, number>(),
  ) {
    this.cfg = cfg;
    this.drops = drops;
    this.addresses = cfg.virtual_ipaddress.map((x) => x.address);
    this.peers = cfg.check_unicast_src && cfg.unicast_peer.length > 0 ? cfg.unicast_peer : undefined;
    this.ifindex = ifindex;
    this.onDrop = onDrop;
    this.log = log;
  }

  /**
   * The advert `r` carries when it passes every check, else undefined after counting the drop.
   * `own` is our current source address: it changes once an IPv6 link-local address becomes usable,
   * so it is passed per packet rather than fixed here.
   */
  accept(r: Received, own: string): { advert: Advert; src: string } | undefined {
    const expect = this.expect(r, own);
    const v = r.v6
      ? validateVrrp(
          { ttl: r.v6.hopLimit, protocol: 112, src: r.v6.src, dst: r.v6.dst, payload: r.packet },
          expect,
        )
      : validateAdvert(r.packet, expect);
    if (v.ok) return { advert: v.advert, src: v.src };
    this.drops.set(v.reason, (this.drops.get(v.reason) ?? 0) + 1);
    this.onDrop(this.cfg.name, v.reason);
    if (this.log.enabled("debug")) {
      const ihl = r.v6 ? 0 : ((r.packet[0] ?? 0) & 15) * 4;
      this.log.debug("dropped advert", { reason: v.reason, len: r.packet.length - ihl });
    }
    return undefined;
  }

  private expect(r: Received, own: string): Expect {
    const c = this.cfg;
    // Over IPv4 the destination's first octet says whether the packet came through the group.
    const dstFirst = r.packet[16] ?? 0;
    return {
      version: c.version,
      vrid: c.virtual_router_id,
      intervalMs: c.advert_int,
      addresses: this.addresses,
      authPass: c.version === 2 ? c.auth_pass : undefined,
      noPseudoHeader: c.v3_checksum_no_pseudo_header,
      own: [own],
      peers: this.peers,
      multicast: r.v6 ? r.v6.dst.startsWith("ff") : dstFirst >= 224 && dstFirst <= 239,
      ifindex: r.ifindex,
      expectIfindex: this.ifindex,
    };
  }
}
