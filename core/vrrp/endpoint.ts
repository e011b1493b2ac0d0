// One VRRP instance's end of the wire: which interface and address family it speaks on, the source
// address of its adverts, the shared channel it receives through, and the encoding of what it sends.
// IPv4 and IPv6 differ only here (the group address, where the source comes from, and the wait for
// a link-local address); the instance above sees a source that is either known or not yet.

import type { VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { ifIndex, ifLinkLocal6, ifPrimaryAddress } from "../sys/iface.ts";
import type { DropHandler } from "./advert-check.ts";
import { openChannel, type PacketHandler, releaseChannel, type VrrpChannel } from "./channel.ts";
import { canonicalIp } from "../net/ip.ts";
import { encodeAdvert, VRRP_GROUP, VRRP_GROUP6 } from "./packet.ts";
import { vrrpFamily } from "./validate.ts";

export class VrrpEndpoint {
  readonly ifindex: number;
  /** Address family of the instance, decided by its VIPs. */
  readonly family: 4 | 6;
  private readonly cfg: VrrpConfig;
  private readonly log: Logger;
  private readonly receive: PacketHandler;
  private readonly onDrop: DropHandler;
  /** Source of our adverts; undefined while an IPv6 link-local address is not usable yet. */
  private srcAddr: string | undefined;
  private ch: VrrpChannel | undefined;
  /** The VIPs as adverts list them (fixed for the instance's life). */
  private readonly addresses: string[];

  /** Throws when the interface is missing, or an IPv4 instance has no address to send from. */
  constructor(cfg: VrrpConfig, log: Logger, receive: PacketHandler, onDrop: DropHandler) {
    this.cfg = cfg;
    this.log = log;
    this.receive = receive;
    this.onDrop = onDrop;
    this.ifindex = ifIndex(cfg.interface);
    this.addresses = cfg.virtual_ipaddress.map((x) => x.address);
    this.family = vrrpFamily(cfg);
    // An IPv6 link-local address appears only once the link has carrier and has passed duplicate
    // address detection: until then the instance waits in FAULT instead of failing to start.
    const src =
      cfg.unicast_src_ip ??
      (this.family === 6 ? ifLinkLocal6(cfg.interface) : ifPrimaryAddress(cfg.interface));
    if (!src && this.family === 4) {
      throw new Error(
        `Give interface "${cfg.interface}" an IPv4 address or set unicast_src_ip for "${cfg.name}"`,
      );
    }
    this.srcAddr = src ? canonicalIp(src) : undefined;
  }

  /** Source address of our adverts; undefined while an IPv6 instance waits for its link-local one. */
  get src(): string | undefined {
    return this.srcAddr;
  }

  /** Opens the sockets when the source is known; false (and a warning) while it is not yet. */
  open(): boolean {
    if (!this.srcAddr) {
      this.log.warn("waiting for the interface's IPv6 link-local address", { interface: this.cfg.interface });
      return false;
    }
    this.openSocket(this.srcAddr);
    return true;
  }

  /**
   * While waiting for a link-local address: adopt it once usable and open the sockets. Returns the
   * address on the call that adopted it, undefined otherwise (already known, or still not ready).
   */
  adoptLinkLocal(): string | undefined {
    if (this.srcAddr) return undefined;
    let src: string | undefined;
    try {
      src = ifLinkLocal6(this.cfg.interface);
    } catch (e) {
      this.log.warn("cannot read IPv6 addresses", { error: String(e) });
    }
    if (!src) return undefined;
    try {
      this.openSocket(canonicalIp(src));
    } catch (e) {
      this.log.error("cannot open the VRRP sockets", { error: e instanceof Error ? e.message : String(e) });
      return undefined;
    }
    this.srcAddr = canonicalIp(src);
    this.log.info("IPv6 link-local address ready", { interface: this.cfg.interface, src: this.srcAddr });
    return this.srcAddr;
  }

  /** Leaves the shared channel; the last instance on it closes the sockets. */
  close(): void {
    if (this.ch) releaseChannel(this.ch, this.cfg.virtual_router_id);
  }

  /** One advert at `priority` to each unicast peer, or to the group; silently none without sockets. */
  sendAdvert(priority: number): void {
    if (!this.ch) return;
    const c = this.cfg;
    const src = this.srcAddr ?? "";
    const advert = {
      version: c.version,
      vrid: c.virtual_router_id,
      priority,
      intervalMs: c.advert_int,
      addresses: this.addresses,
    };
    const dsts = c.unicast_peer.length ? c.unicast_peer : [this.family === 6 ? VRRP_GROUP6 : VRRP_GROUP];
    for (const dst of dsts) {
      const msg = encodeAdvert(advert, {
        src,
        dst,
        noPseudoHeader: c.v3_checksum_no_pseudo_header,
        authPass: c.version === 2 ? c.auth_pass : undefined,
      });
      try {
        this.ch.send(dst, msg);
      } catch (e) {
        // The link may be going down; the next advert or a FAULT follows shortly.
        this.log.debug("advert not sent", { dst, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  private openSocket(src: string): void {
    const c = this.cfg;
    this.ch = openChannel({
      ifname: c.interface,
      ifindex: this.ifindex,
      src,
      multicast: c.unicast_peer.length === 0,
    });
    this.ch.attach(c.virtual_router_id, this.receive, c.advert_int);
    // The channel is shared per interface: the first instance on it reports VRIDs nobody runs.
    const where = `interface ${c.interface}`;
    this.ch.onUnknownVrid ??= () => this.onDrop(where, "vrid");
    this.ch.onError ??= (e) =>
      this.log.error("VRRP receive failed", { interface: c.interface, error: String(e) });
  }
}
