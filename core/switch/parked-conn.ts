// A client connection accepted over a virtual server's max_connections shared by data-path workers:
// between a worker's look at the shared count and Bun's accept, another worker took the last slot.
// Its listener is paused at once (conn-ceiling.ts), so this is one connection per listener per race.
// Refusing it would answer 503 to a client that, with one worker, would have waited in the accept
// queue; instead it is not read and waits here, and is admitted before the listener reopens when a slot
// frees (switch.ts). Bytes that arrived before the pause are kept and replayed.

import type { Socket } from "bun";
import type { VsRuntime } from "./runtime.ts";

export class ParkedConn {
  readonly chunks: Buffer[] = [];
  eof = false;

  constructor(
    readonly rt: VsRuntime,
    readonly sock: Socket<unknown>,
    readonly tcp: boolean,
    private readonly gone: (p: ParkedConn) => void,
  ) {
    sock.pause();
  }

  onData(d: Buffer): void {
    // Bun may reuse the buffer of a data event once the handler returns.
    this.chunks.push(Buffer.from(d));
  }

  onDrain(): void {}

  onEof(): void {
    this.eof = true;
  }

  onClose(): void {
    this.gone(this);
  }
}
