// The request bytes as sent (or about to be sent) to a server, kept as ranges of the buffers they
// arrived in, so a failed attempt can be replayed on another server and a chunked body can be held
// until it has been checked to the end. Bounded: past the bound nothing is kept and the request can no
// longer be replayed.

import type { Out } from "./out.ts";

/** Request bytes (head included) kept per client connection for a retry or a held body. */
export const RETAIN_MAX = 64 * 1024;

export class Retained {
  readonly max: number;
  // Ranges as (chunk, start, end) in three parallel arrays reused from request to request: keeping a
  // range costs no allocation once the arrays have grown.
  private readonly rc: Array<string | Uint8Array> = [];
  private readonly rs: number[] = [];
  private readonly re: number[] = [];
  private n = 0;
  /** Bytes counted so far for this request, including ones no longer kept. */
  bytes = 0;
  /** Every byte of the request so far is kept: it can be replayed. */
  whole = true;

  constructor(max = RETAIN_MAX) {
    this.max = max;
  }

  /** Ranges kept. */
  get count(): number {
    return this.n;
  }

  /** A new request: forget the last one. */
  reset(): void {
    this.clear();
    this.bytes = 0;
    this.whole = true;
  }

  /** Whether `n` more bytes stay within the bound. */
  fits(n: number): boolean {
    return this.bytes + n <= this.max;
  }

  /** Keep bytes [s, e) of `c` (the caller checked `fits`, or it is the head, kept whatever its size). */
  add(c: string | Uint8Array, s: number, e: number): void {
    const i = this.n++;
    this.rc[i] = c;
    this.rs[i] = s;
    this.re[i] = e;
    this.bytes += e - s;
  }

  /** The request outgrew the bound: stop keeping it, for good. */
  drop(): void {
    this.clear();
    this.whole = false;
  }

  /** Write everything kept, in order (the caller corks `o` when it wants one send). */
  writeTo(o: Out): void {
    for (let i = 0; i < this.n; i++) o.writeRange(this.rc[i]!, this.rs[i]!, this.re[i]!);
  }

  private clear(): void {
    // Let go of the buffers; the slots stay for the next request.
    for (let i = 0; i < this.n; i++) this.rc[i] = "";
    this.n = 0;
  }
}
