// One pair of VRRP sockets per interface and source address, shared by every instance on it: the
// receiver is drained on a short timer and each packet goes to the instance owning its VRID.

import { type Received, VrrpSocket } from "./socket4.ts";
import { VrrpSocket6 } from "./socket6.ts";

/**
 * How often the receiver is drained: a tenth of the shortest advert interval on the channel, within
 * 10-50 ms. Received adverts wait at most that long, small against the 3-interval master-down timer;
 * idle cost measured at about 1% CPU at 10 ms.
 */
export function drainMs(intervalMs: number): number {
  return Math.min(50, Math.max(10, Math.floor(intervalMs / 10)));
}
/** Bound one drain so a flood cannot starve the timers. */
const MAX_PER_DRAIN = 256;

export type PacketHandler = (r: Received) => void;

export class VrrpChannel {
  readonly key: string;
  private readonly socket: VrrpSocket | VrrpSocket6;
  private readonly handlers = new Map<number, PacketHandler>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private everyMs = Number.POSITIVE_INFINITY;
  /** Packets for a VRID nobody here runs, or too short to carry one. */
  unknownVrid = 0;
  onUnknownVrid: (() => void) | undefined;
  onError: ((e: unknown) => void) | undefined;
  readonly ifname: string;

  constructor(key: string, ifname: string, socket: VrrpSocket | VrrpSocket6) {
    this.key = key;
    this.ifname = ifname;
    this.socket = socket;
  }

  attach(vrid: number, h: PacketHandler, intervalMs: number): void {
    this.handlers.set(vrid, h);
    const ms = drainMs(intervalMs);
    if (this.timer && ms >= this.everyMs) return;
    clearInterval(this.timer);
    this.everyMs = ms;
    this.timer = setInterval(() => this.drain(), ms);
  }

  /** Returns true when nobody is left and the sockets were closed. */
  detach(vrid: number): boolean {
    this.handlers.delete(vrid);
    if (this.handlers.size > 0) return false;
    clearInterval(this.timer);
    this.timer = undefined;
    this.socket.close();
    return true;
  }

  send(dst: string, payload: Uint8Array): void {
    this.socket.send(dst, payload);
  }

  drain(): void {
    for (let i = 0; i < MAX_PER_DRAIN; i++) {
      let r: Received | undefined;
      try {
        r = this.socket.recv();
      } catch (e) {
        this.onError?.(e);
        return;
      }
      if (!r) return;
      // IPv4 packets start with their header; IPv6 ones are the bare VRRP message.
      const at = r.v6 ? 0 : ((r.packet[0] ?? 0) & 15) * 4;
      const h = this.handlers.get(r.packet[at + 1] ?? -1);
      if (h) h(r);
      else {
        this.unknownVrid++;
        this.onUnknownVrid?.();
      }
    }
  }
}

const channels = new Map<string, VrrpChannel>();

export function openChannel(o: {
  ifname: string;
  ifindex: number;
  src: string;
  multicast: boolean;
}): VrrpChannel {
  const key = `${o.ifname}/${o.src}/${o.multicast ? "multicast" : "unicast"}`;
  let ch = channels.get(key);
  if (!ch) {
    const socket = o.src.includes(":") ? new VrrpSocket6(o) : new VrrpSocket(o);
    ch = new VrrpChannel(key, o.ifname, socket);
    channels.set(key, ch);
  }
  return ch;
}

export function releaseChannel(ch: VrrpChannel, vrid: number): void {
  if (ch.detach(vrid)) channels.delete(ch.key);
}

/** Adverts for VRIDs nobody here runs, per interface (keyed "interface NAME"). */
export function channelDrops(): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const ch of channels.values()) {
    const k = `interface ${ch.ifname}`;
    out[k] = { vrid: (out[k]?.vrid ?? 0) + ch.unknownVrid };
  }
  return out;
}
