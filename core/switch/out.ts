// The write side of one socket: coalesces the writes made during one event into a single send (a head
// and the first body bytes go out in one packet), and queues what the kernel did not take so the caller
// can stop reading the other side until `drain`. Byte ranges are kept as (buffer, start, end) so the
// hot path creates no views; adjacent ranges of one buffer merge.

import type { Socket } from "bun";

export type Chunk = string | Uint8Array;

function toBytes(c: Chunk): Uint8Array {
  return typeof c === "string" ? Buffer.from(c, "latin1") : c;
}

// subarray, not new Uint8Array(b.buffer, ...): reading .buffer makes JSC give a fast array an
// ArrayBuffer of its own, which costs more than the view.
function view(b: Uint8Array, start: number, end: number): Uint8Array {
  return b.subarray(start, end);
}

export function concatChunks(parts: Chunk[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += typeof p === "string" ? p.length : p.byteLength;
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

// The queue of an Out with nothing queued (never pushed to): most never queue a byte.
const NONE: Uint8Array[] = [];
// One per process: filled and sent synchronously, never held across events.
const SCRATCH = Buffer.allocUnsafe(64 * 1024);
/** Bytes queued before a socket that is not connected yet asks the writer to pause. */
const HIGH_WATER = 256 * 1024;

/**
 * The side that feeds an Out: told to stop reading its source while the Out is blocked. A method of
 * the owner, not a closure per Out: an idle connection then holds no function objects.
 */
export interface OutOwner {
  onOutBlocked(o: Out, blocked: boolean): void;
}

export class Out {
  // biome-ignore lint/suspicious/noExplicitAny: the socket's data type does not matter for writing
  sock: Socket<any> | undefined = undefined;
  private corked = 0;
  // Pending parts while corked, three slots each: chunk, start, end (strings: 0, length). One array,
  // reused: three parallel ones cost an idle connection twice the memory.
  private readonly p: Array<Chunk | number> = [];
  private n = 0;
  private queue: Uint8Array[] = NONE;
  queued = 0;
  /** Bytes written (sent or queued) since the start: the access log's bytes out. */
  bytes = 0;
  /** The socket refused writes (closed). */
  dead = false;
  /** end() was asked: send FIN once everything before it is out. */
  private ending = false;
  private half = false;
  /** Told when the kernel stops taking bytes, and when the queue has drained. */
  owner: OutOwner | undefined = undefined;

  get blocked(): boolean {
    return this.queue.length > 0;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (--this.corked > 0) return;
    this.corked = 0;
    const n = this.n;
    if (n === 0) return;
    this.n = 0;
    const p = this.p;
    if (n === 1) this.send(p[0] as Chunk, p[1] as number, p[2] as number);
    else this.sendParts(n);
    for (let i = 0; i < n * 3; i += 3) p[i] = "";
    if (this.ending && this.queue.length === 0) this.finish();
  }

  /**
   * Send FIN after everything written so far has gone out. halfClose keeps reading (shutdown(2) of
   * the write side only); otherwise the socket closes once the peer is done.
   */
  end(halfClose = false): void {
    this.half = halfClose;
    this.ending = true;
    if (this.corked > 0 && this.n > 0) return;
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
    const len = typeof c === "string" ? c.length : c.byteLength;
    this.writeRange(c, 0, len);
  }

  /** Write bytes [start, end) of a chunk (strings are ASCII: one byte per character). */
  writeRange(c: Chunk, start: number, end: number): void {
    if (end <= start) return;
    this.bytes += end - start;
    if (this.corked === 0) {
      this.send(c, start, end);
      return;
    }
    const i = this.n;
    const p = this.p;
    const k = i * 3;
    if (i > 0 && p[k - 3] === c && p[k - 1] === start) {
      p[k - 1] = end; // contiguous with the previous range of the same buffer
      return;
    }
    p[k] = c;
    p[k + 1] = start;
    p[k + 2] = end;
    this.n = i + 1;
  }

  private enqueue(b: Uint8Array): void {
    if (this.queue === NONE) this.queue = [b];
    else this.queue.push(b);
    this.queued += b.byteLength;
  }

  /** Several ranges in one send through a shared scratch buffer: no allocation when the kernel takes all. */
  private sendParts(n: number): void {
    const s = this.sock;
    const p = this.p;
    const last = n * 3;
    let total = 0;
    for (let k = 0; k < last; k += 3) total += (p[k + 2] as number) - (p[k + 1] as number);
    if (!s || this.queue.length > 0 || this.dead || total > SCRATCH.length) {
      for (let k = 0; k < last; k += 3) this.send(p[k] as Chunk, p[k + 1] as number, p[k + 2] as number);
      return;
    }
    let at = 0;
    for (let k = 0; k < last; k += 3) {
      const c = p[k] as Chunk;
      const st = p[k + 1] as number;
      const en = p[k + 2] as number;
      if (typeof c === "string")
        at += SCRATCH.write(st === 0 && en === c.length ? c : c.slice(st, en), at, "latin1");
      else {
        if (Buffer.isBuffer(c)) c.copy(SCRATCH, at, st, en);
        else SCRATCH.set(view(c, st, en), at);
        at += en - st;
      }
    }
    const w = s.write(SCRATCH, 0, total);
    if (w === total) return;
    if (w < 0) {
      this.dead = true;
      return;
    }
    this.enqueue(Buffer.from(SCRATCH.subarray(w, total)));
    this.owner?.onOutBlocked(this, true);
  }

  private send(c: Chunk, start: number, end: number): void {
    if (this.dead) return;
    const s = this.sock;
    if (!s || this.queue.length > 0) {
      const b = typeof c === "string" ? toBytes(c.slice(start, end)) : view(c, start, end);
      this.enqueue(b);
      // Not connected yet, or already behind: past a bound, the other side must stop feeding us.
      if (this.queued > HIGH_WATER && this.queued - b.byteLength <= HIGH_WATER)
        this.owner?.onOutBlocked(this, true);
      return;
    }
    const len = end - start;
    const w =
      typeof c === "string"
        ? s.write(start === 0 && end === c.length ? c : c.slice(start, end))
        : s.write(c, start, len);
    if (w === len) return;
    if (w < 0) {
      this.dead = true;
      return;
    }
    this.enqueue(typeof c === "string" ? toBytes(c.slice(start + w, end)) : view(c, start + w, end));
    this.owner?.onOutBlocked(this, true);
  }

  /** The socket connected or drained: push the queue. */
  flush(): void {
    const s = this.sock;
    if (!s || this.dead) return;
    if (this.queue.length > 1) this.queue = [concatChunks(this.queue)];
    while (this.queue.length > 0) {
      const b = this.queue[0]!;
      const w = s.write(b);
      if (w < 0) {
        this.dead = true;
        return;
      }
      this.queued -= Math.max(w, 0);
      if (w < b.byteLength) {
        this.queue[0] = b.subarray(w);
        this.owner?.onOutBlocked(this, true);
        return;
      }
      this.queue.shift();
    }
    this.queue = NONE;
    this.owner?.onOutBlocked(this, false);
    if (this.ending) this.finish();
  }

  /** Drop whatever was not sent (the peer went away). */
  reset(): void {
    this.queue = NONE;
    for (let i = 0; i < this.n * 3; i += 3) this.p[i] = "";
    this.n = 0;
    this.queued = 0;
    this.corked = 0;
  }
}
