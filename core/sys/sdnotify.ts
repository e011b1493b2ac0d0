// sd_notify(3) without libsystemd: one datagram to the unix socket named by $NOTIFY_SOCKET. Bun has
// no unix datagram sockets, so this goes through libc like the rest of core/sys.

import { AF_UNIX, closeFd, libc, ptr, SOCK_CLOEXEC, SOCK_DGRAM } from "./libc.ts";

/** Build a sockaddr_un for a path, or an abstract name when it starts with "@". */
function sockaddrUn(path: string): Uint8Array {
  const name = new TextEncoder().encode(path);
  const addr = new Uint8Array(2 + name.length + 1);
  addr[0] = AF_UNIX; // sa_family, little-endian u16
  addr.set(name, 2);
  if (path.startsWith("@")) addr[2] = 0;
  return path.startsWith("@") ? addr.subarray(0, 2 + name.length) : addr;
}

/** Send `state` ("READY=1", "STOPPING=1" ...) to the service manager; a no-op outside systemd. */
export function sdNotify(state: string, socketPath = process.env.NOTIFY_SOCKET): boolean {
  if (!socketPath) return false;
  const c = libc();
  const fd = Number(c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd < 0) return false;
  try {
    const msg = new TextEncoder().encode(state);
    const addr = sockaddrUn(socketPath);
    const n = Number(c.sendto(fd, ptr(msg), msg.length, 0, ptr(addr), addr.length));
    return n === msg.length;
  } finally {
    closeFd(fd);
  }
}
