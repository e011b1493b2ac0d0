// ICMP_CHECK: one echo request, up when the matching echo reply (our id and sequence, from the
// target) arrives within the timeout. IPv4 only. The raw socket is non-blocking and polled, so the
// event loop never blocks on it.

import { RawIcmpSocket } from "./icmp-socket.ts";
import { CheckFailure, type CheckFn, measure } from "./types.ts";

const POLL_MS = 2;
let sequence = 0;

export function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function echoRequest(id: number, seq: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(8 + payload.length);
  p[0] = 8;
  p[4] = id >> 8;
  p[5] = id & 0xff;
  p[6] = seq >> 8;
  p[7] = seq & 0xff;
  p.set(payload, 8);
  const sum = inetChecksum(p);
  p[2] = sum >> 8;
  p[3] = sum & 0xff;
  return p;
}

/** Whether an IPv4 datagram is the echo reply to (id, seq). */
export function isEchoReply(ip: Uint8Array, id: number, seq: number): boolean {
  const ihl = ((ip[0] ?? 0) & 0x0f) * 4;
  const icmp = ip.subarray(ihl);
  if (icmp.length < 8 || icmp[0] !== 0) return false;
  return ((icmp[4]! << 8) | icmp[5]!) === id && ((icmp[6]! << 8) | icmp[7]!) === seq;
}

export const icmpCheck: CheckFn = (check, target) =>
  measure(async (start) => {
    if (target.kind !== "inet" || target.family !== 4) {
      throw new CheckFailure(`Use an IPv4 address for an icmp check: "${target.text}" is not one`);
    }
    let sock: RawIcmpSocket;
    try {
      sock = new RawIcmpSocket();
    } catch (e) {
      throw new CheckFailure((e as Error).message);
    }
    try {
      const id = (process.pid ^ 0x5456) & 0xffff;
      sequence = (sequence + 1) & 0xffff;
      const seq = sequence;
      sock.sendTo(echoRequest(id, seq, new TextEncoder().encode("tcpvs-check")), target.host);
      for (;;) {
        for (let got = sock.tryRecv(), n = 0; got && n < 256; got = sock.tryRecv(), n++) {
          if (got.from === target.host && isEchoReply(got.data, id, seq))
            return { ok: true, reason: "echo reply" };
        }
        if (performance.now() - start >= check.timeout)
          return { ok: false, reason: `no reply within ${check.timeout} ms` };
        await Bun.sleep(POLL_MS);
      }
    } finally {
      sock.close();
    }
  });
