// A raw ICMP socket for the icmp health check (echo request/reply). Needs CAP_NET_RAW: unprivileged
// ping sockets are off on these machines (net.ipv4.ping_group_range = "1 0").

import {
  AF_INET,
  closeFd,
  EAGAIN,
  errno,
  errnoName,
  inetAton,
  libc,
  MSG_DONTWAIT,
  ptr,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  sockaddrIn,
  strerror,
} from "../sys/libc.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";

const IPPROTO_ICMP = 1;

export class RawSocketError extends TcpvsError {
  declare readonly code: "sys_call_failed";
  readonly errno: number;
  /** The errno's name ("EPERM", "ENETUNREACH"), or ESOCKET/ESEND/ERECV for the failed step. */
  readonly errnoName: string;
  constructor(errnoName: string, errno: number, message: string) {
    super("sys_call_failed", message);
    this.name = "RawSocketError";
    this.errno = errno;
    this.errnoName = errnoName;
  }
}

/** A non-blocking raw IPv4 ICMP socket. */
export class RawIcmpSocket {
  private readonly fd: number;

  constructor() {
    const fd = libc().socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd < 0) {
      const e = errno();
      if (e === 1 || e === 13) {
        throw new RawSocketError(
          "EPERM",
          e,
          "Run as root or grant CAP_NET_RAW (setcap cap_net_raw+ep): an icmp check needs a raw socket",
        );
      }
      throw new RawSocketError("ESOCKET", e, `Cannot open a raw ICMP socket: ${strerror(e)}`);
    }
    this.fd = fd;
  }

  sendTo(packet: Uint8Array, ip: string): void {
    const sa = sockaddrIn(inetAton(ip));
    const n = Number(libc().sendto(this.fd, ptr(packet), packet.length, 0, ptr(sa), sa.length));
    if (n < 0) {
      const e = errno();
      const code = e === 101 || e === 113 ? errnoName[e]! : "ESEND";
      throw new RawSocketError(code, e, `Cannot send ICMP to "${ip}": ${strerror(e)}`);
    }
  }

  /** One datagram (IP header included) and its source, or undefined when nothing is queued. */
  tryRecv(): { data: Uint8Array; from: string } | undefined {
    const buf = new Uint8Array(2048);
    const sa = new Uint8Array(16);
    const len = new Uint32Array([16]);
    const n = Number(libc().recvfrom(this.fd, ptr(buf), buf.length, MSG_DONTWAIT, ptr(sa), ptr(len)));
    if (n < 0) {
      const e = errno();
      if (e === EAGAIN) return undefined;
      throw new RawSocketError("ERECV", e, `Cannot receive ICMP: ${strerror(e)}`);
    }
    return { data: buf.subarray(0, n), from: `${sa[4]}.${sa[5]}.${sa[6]}.${sa[7]}` };
  }

  close(): void {
    closeFd(this.fd);
  }
}
