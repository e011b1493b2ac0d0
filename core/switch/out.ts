// The write side of one socket: coalesces the writes made during one event into a single send (a head
// and the first body bytes go out in one packet), and queues what the kernel did not take so the caller
// can stop reading the other side until `drain`.

import type { Socket } from "bun";

export type Chunk = string | Uint8Array;

function byteLen(c: Chunk): number {
  // Strings handed here are ASCII (non-ASCII heads are encoded by the caller), so length = bytes.
  return typeof c === "string" ? c.length : c.byteLength;
}

function toBytes(c: Chunk): Uint8Array {
  return typeof c === "string" ? Buffer.from(c, "latin1") : c;
}

export function concatChunks(parts: Chunk[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += byteLen(p);
  const b = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of parts) {
    if (typeof p === "string") at += b.write(p, at, "latin1");
    else {
      b.set(p, at);
      at += p.byteLength;
    }
  }
  return b;
}

// One per process: filled and sent synchronously, never held across events.
const SCRATCH = Buffer.allocUnsafe(64 * 1024);
/** Bytes queued before a socket that is not connected yet asks the writer to pause. */
const HIGH_WATER = 256 * 1024;

export class Out {
  // biome-ignore lint/suspicious/noExplicitAny: the socket's data type does not matter for writing
  sock: Socket<any> | undefined = undefined;
  private corked = 0;
  private parts: Chunk[] = [];
  private queue: Uint8Array[] = [];
  queued = 0;
  /** The socket refused writes (closed). */
  dead = false;
  /** end() was asked: send FIN once everything before it is out. */
  private ending = false;
  private half = false;
  /** Called when the kernel stops taking bytes, and when the queue has drained. */
  onBlocked: () => void = () => {};
  onUnblocked: () => void = () => {};

  get blocked(): boolean {
    return this.queue.length > 0;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (--this.corked > 0) return;
    this.corked = 0;
    const p = this.parts;
    if (p.length === 0) return;
    this.parts = [];
    if (p.length === 1) this.send(p[0]!);
    else this.sendParts(p);
    if (this.ending && this.queue.length === 0) this.finish();
  }

  /**
   * Send FIN after everything written so far has gone out. halfClose keeps reading (shutdown(2) of
   * the write side only); otherwise the socket closes once the peer is done.
   */
  end(halfClose = false): void {
    this.half = halfClose;
    this.ending = true;
    if (this.corked > 0 && this.parts.length > 0) return;
    if (this.queue.length === 0) this.finish();
  }

  private finish(): void {
    this.ending = false;
    if (!this.dead) {
      if (this.half) this.sock?.shutdown();
      else this.sock?.end();
    }
    this.dead = true;
  }

  write(c: Chunk): void {
    if (this.corked > 0) this.parts.push(c);
    else this.send(c);
  }

  /** Several chunks in one send through a shared scratch buffer: no allocation when the kernel takes all. */
  private sendParts(p: Chunk[]): void {
    const s = this.sock;
    let total = 0;
    for (const c of p) total += byteLen(c);
    if (!s || this.queue.length > 0 || this.dead || total > SCRATCH.length) {
      this.send(concatChunks(p));
      return;
    }
    let at = 0;
    for (const c of p) {
      if (typeof c === "string") at += SCRATCH.write(c, at, "latin1");
      else {
        SCRATCH.set(c, at);
        at += c.byteLength;
      }
    }
    const n = s.write(SCRATCH, 0, total);
    if (n === total) return;
    if (n < 0) {
      this.dead = true;
      return;
    }
    const rest = Buffer.from(SCRATCH.subarray(n, total));
    this.queue.push(rest);
    this.queued += rest.byteLength;
    this.onBlocked();
  }

  private send(c: Chunk): void {
    if (this.dead) return;
    const s = this.sock;
    if (!s || this.queue.length > 0) {
      const b = toBytes(c);
      this.queue.push(b);
      this.queued += b.byteLength;
      // Not connected yet, or already behind: past a bound, the other side must stop feeding us.
      if (this.queued > HIGH_WATER && this.queued - b.byteLength <= HIGH_WATER) this.onBlocked();
      return;
    }
    const n = s.write(c);
    const len = byteLen(c);
    if (n === len) return;
    if (n < 0) {
      this.dead = true;
      return;
    }
    const rest = toBytes(c).subarray(n);
    this.queue.push(rest);
    this.queued += rest.byteLength;
    this.onBlocked();
  }

  /** The socket connected or drained: push the queue. */
  flush(): void {
    const s = this.sock;
    if (!s || this.dead) return;
    if (this.queue.length > 1) this.queue = [concatChunks(this.queue)];
    while (this.queue.length > 0) {
      const b = this.queue[0]!;
      const n = s.write(b);
      if (n < 0) {
        this.dead = true;
        return;
      }
      this.queued -= Math.max(n, 0);
      if (n < b.byteLength) {
        this.queue[0] = b.subarray(n);
        this.onBlocked();
        return;
      }
      this.queue.shift();
    }
    this.onUnblocked();
    if (this.ending) this.finish();
  }

  /** Drop whatever was not sent (the peer went away). */
  reset(): void {
    this.queue = [];
    this.parts = [];
    this.queued = 0;
    this.corked = 0;
  }
}
