// The answer to a client that speaks plain HTTP to a TLS port (the handshake failed with
// BoringSSL's HTTP_REQUEST or HTTPS_PROXY_REQUEST): written in plaintext under the TLS layer.
//
// Bun 1.4.5 gives no plaintext write on a TLS socket (`write` goes through the TLS layer, which has
// failed), but the socket's `fd` is there until the `handshake` handler returns and Bun closes it.
// BoringSSL sends no alert for these two errors (it sets none), so the client's first bytes are the
// answer, as nginx gives. One write(2) of a few hundred bytes to a fresh socket, whose send buffer
// is empty: it is never partial in practice, and if it fails the close goes on as before. Only failed
// handshakes pay for it; the TLS path of every other connection is untouched.

import { writeSync } from "node:fs";

/** Writes `answer` in plaintext to the socket under a failed TLS handshake; false if it could not. */
export function answerUnderTls(socket: unknown, answer: string): boolean {
  const fd = (socket as { fd?: unknown }).fd;
  if (typeof fd !== "number" || fd < 0) return false;
  try {
    return writeSync(fd, answer) === Buffer.byteLength(answer);
  } catch {
    // EAGAIN, EPIPE (the client has gone): nothing more to do than the close.
    return false;
  }
}
