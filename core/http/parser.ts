// An incremental HTTP/1.1 message parser (RFC 9112) for one direction of one connection. Pure: bytes
// in, callbacks out. Body bytes are reported twice: `onBody` gets the wire bytes (chunk framing and
// trailers included) for a proxy to pass on untouched, `onData` the decoded payload.

import { HttpError } from "./errors.ts";
import {
  copyHead,
  DEFAULT_LIMITS,
  type HeadLimits,
  type MessageHead,
  type RequestHead,
  type ResponseHead,
  scanHead,
  scanTrailers,
} from "./head.ts";

export interface ParserHandler<H extends MessageHead> {
  onHead(head: H): void;
  /** Body bytes as they were on the wire. */
  onBody?(buf: Buffer, start: number, end: number): void;
  /** Decoded payload bytes. */
  onData?(buf: Buffer, start: number, end: number): void;
  onTrailers?(names: string[], values: string[]): void;
  onEnd(): void;
}

export interface ParserOptions extends Partial<HeadLimits> {
  /** Requests only; 0 = unlimited (-> 413). */
  maxBodySize?: number;
  /** Stop after each complete message until resume(): pipelined requests wait their turn. */
  pauseAfterEnd?: boolean;
}

const HEAD = 0;
const LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_EXT = 3;
const CHUNK_SIZE_LF = 4;
const CHUNK_DATA = 5;
const CHUNK_DATA_CR = 6;
const CHUNK_DATA_LF = 7;
const TRAILER = 8;
const CLOSE = 9;
const UPGRADED = 10;
const DEAD = 11;

const CRLFCRLF = Buffer.from("\r\n\r\n");
/** Longest head remembered per connection: the usual head, not a 16 KiB one held by every idle peer. */
const SEEN_MAX = 1024;
const MAX_CHUNK_LINE = 4096;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

// The limits worked out once per options object: every connection of a virtual server shares them.
const LIMITS = new WeakMap<ParserOptions, HeadLimits>();

function limitsOf(opts: ParserOptions): HeadLimits {
  let l = LIMITS.get(opts);
  if (l === undefined) {
    l = {
      maxHeaderSize: opts.maxHeaderSize ?? DEFAULT_LIMITS.maxHeaderSize,
      maxHeaders: opts.maxHeaders ?? DEFAULT_LIMITS.maxHeaders,
      maxRequestLine: Math.min(
        opts.maxRequestLine ?? DEFAULT_LIMITS.maxRequestLine,
        opts.maxHeaderSize ?? 1e9,
      ),
    };
    LIMITS.set(opts, l);
  }
  return l;
}

export class HttpParser<H extends RequestHead | ResponseHead = RequestHead | ResponseHead> {
  readonly kind: "request" | "response";
  private readonly limits: HeadLimits;
  private readonly maxBody: number;
  private readonly pauseAfterEnd: boolean;
  private readonly h: ParserHandler<H>;
  private state = HEAD;
  private pending: Buffer | undefined = undefined;
  private remaining = 0;
  private chunkDigits = 0;
  private chunkLine = 0;
  private bodyBytes = 0;
  private trailer = "";
  private error: HttpError | undefined = undefined;
  /** Paused between messages; bytes that arrive meanwhile are kept. */
  paused = false;
  /** Responses: the method of the request being answered (HEAD has no body). */
  requestMethod = "GET";
  /** During onHead: where the head's bytes are (a proxy may pass them on unchanged). */
  headBuf: Buffer | undefined = undefined;
  headStart = 0;
  headEnd = 0;
  /** Messages completed so far. */
  messages = 0;
  /**
   * A keep-alive peer often repeats its head byte for byte (a client's next request, a server's next
   * answer within the same second), and decoding was a fifth of the switch's own time per request.
   * So the parser keeps the last head's text; once a head comes twice in a row it keeps its bytes and
   * its decode instead (unedited: callers get a copy), and a head with those bytes skips the search
   * for its end, the string and the decode. The decode is a function of the bytes, so a repeat gets
   * exactly what a fresh decode would give; heads that never repeat cost one string comparison.
   */
  private seenText = "";
  private seenBytes: Buffer | undefined = undefined;
  private seenHead: H | undefined = undefined;
  /** Heads decoded in full; the other complete heads repeated the one before. */
  decodes = 0;

  constructor(kind: "request" | "response", handler: ParserHandler<H>, opts: ParserOptions = {}) {
    this.kind = kind;
    this.h = handler;
    this.limits = limitsOf(opts);
    this.maxBody = opts.maxBodySize ?? 0;
    this.pauseAfterEnd = opts.pauseAfterEnd ?? false;
  }

  /** Bytes held back (partial head, or data that arrived while paused or after an upgrade). */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }

  /** Between messages with nothing held: a close here loses nothing. */
  get idle(): boolean {
    return this.state === HEAD && this.pending === undefined;
  }

  get failed(): HttpError | undefined {
    return this.error;
  }

  /** Feed bytes; returns the error that stopped the parser, if any (then it stays stopped). */
  execute(chunk: Uint8Array): HttpError | undefined {
    if (this.error) return this.error;
    const b = asBuffer(chunk);
    if (this.paused || this.state === UPGRADED) {
      this.pending = this.pending ? Buffer.concat([this.pending, b]) : Buffer.from(b);
      return undefined;
    }
    let data = b;
    let scan = true;
    if (this.pending) {
      // A partial head only needs a new look when a line ended, a limit may have been crossed, or a
      // request's method is still arriving (a byte that cannot be in one is refused at once).
      scan =
        this.state !== HEAD ||
        b.indexOf(10) >= 0 ||
        this.pending.length + b.length > this.limits.maxRequestLine ||
        (this.kind === "request" && this.pending.indexOf(32) < 0);
      data = Buffer.concat([this.pending, b]);
      this.pending = undefined;
    }
    return this.run(data, 0, scan);
  }

  /** Continue after a pause with whatever arrived meanwhile. */
  resume(): HttpError | undefined {
    if (this.error) return this.error;
    this.paused = false;
    const p = this.pending;
    if (!p) return undefined;
    this.pending = undefined;
    return this.run(p, 0, true);
  }

  /** The connection leaves HTTP (101 or a tunnel): hand over the bytes that followed. */
  upgrade(): Buffer | undefined {
    this.state = UPGRADED;
    const p = this.pending;
    this.pending = undefined;
    return p;
  }

  /** The peer closed: ends a close-delimited body, or reports a truncated message. */
  finish(): HttpError | undefined {
    if (this.error) return this.error;
    if (this.state === CLOSE) {
      this.endMessage();
      return undefined;
    }
    if (this.state === HEAD && !this.pending) return undefined;
    if (this.state === UPGRADED) return undefined;
    return this.fail(new HttpError("incomplete_message", "Reject a message cut short by the peer closing"));
  }

  private fail(e: HttpError): HttpError {
    this.error = e;
    this.state = DEAD;
    this.pending = undefined;
    return e;
  }

  private run(buf: Buffer, pos: number, scan: boolean): HttpError | undefined {
    try {
      return this.loop(buf, pos, scan);
    } catch (e) {
      if (e instanceof HttpError) return this.fail(e);
      throw e;
    }
  }

  private loop(buf: Buffer, pos: number, scan: boolean): undefined {
    const len = buf.length;
    let raw = pos; // start of wire body bytes not yet reported
    while (pos < len) {
      const st = this.state;
      if (st === HEAD) {
        const next = this.head(buf, pos, scan);
        if (next < 0) {
          this.pending = Buffer.from(buf.subarray(pos));
          return undefined;
        }
        pos = next;
        raw = pos;
        if (this.state === HEAD && this.paused) break;
        if (this.state === UPGRADED) break;
        continue;
      }
      if (st === LENGTH) {
        const n = Math.min(this.remaining, len - pos);
        this.h.onBody?.(buf, pos, pos + n);
        this.h.onData?.(buf, pos, pos + n);
        pos += n;
        raw = pos;
        this.remaining -= n;
        if (this.remaining === 0) {
          this.endMessage();
          if (this.paused) break;
        }
        continue;
      }
      if (st === CLOSE) {
        this.h.onBody?.(buf, pos, len);
        this.h.onData?.(buf, pos, len);
        pos = len;
        raw = len;
        continue;
      }
      if (st === CHUNK_DATA) {
        const n = Math.min(this.remaining, len - pos);
        this.h.onData?.(buf, pos, pos + n);
        pos += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = CHUNK_DATA_CR;
        continue;
      }
      // Chunk framing, one byte at a time (a few bytes per chunk).
      const c = buf[pos++]!;
      if (this.chunkByte(c)) {
        if (pos > raw) this.h.onBody?.(buf, raw, pos);
        raw = pos;
        this.endMessage();
        if (this.paused) break;
      }
    }
    if (raw < pos && this.state !== HEAD) this.h.onBody?.(buf, raw, pos);
    if (pos < len) this.pending = Buffer.from(buf.subarray(pos));
    return undefined;
  }

  /** Returns whether the message ended with this byte. */
  private chunkByte(c: number): boolean {
    switch (this.state) {
      case CHUNK_SIZE: {
        const v = hexValue(c);
        if (v >= 0) {
          if (++this.chunkDigits > 13)
            throw new HttpError("chunk_size_overflow", "Reject a chunk size over 2^52");
          this.remaining = this.remaining * 16 + v;
          return false;
        }
        if (this.chunkDigits === 0)
          throw new HttpError("bad_chunk_size", "Reject a chunk without a hex size");
        if (c === 13) this.state = CHUNK_SIZE_LF;
        else if (c === 59 || c === 32 || c === 9) this.state = CHUNK_EXT;
        else if (c === 10) throw new HttpError("bare_lf", "Reject a chunk size line ending in a bare LF");
        else throw new HttpError("bad_chunk_size", `Reject the chunk size byte 0x${c.toString(16)}`);
        return false;
      }
      case CHUNK_EXT:
        if (++this.chunkLine > MAX_CHUNK_LINE)
          throw new HttpError("bad_chunk", "Reject chunk extensions over 4 KiB");
        if (c === 13) this.state = CHUNK_SIZE_LF;
        else if (c === 10) throw new HttpError("bare_lf", "Reject a chunk size line ending in a bare LF");
        else if ((c < 32 && c !== 9) || c === 127)
          throw new HttpError("bad_chunk", "Reject a control byte in a chunk extension");
        return false;
      case CHUNK_SIZE_LF:
        if (c !== 10) throw new HttpError("bare_cr", "Reject a chunk size line with a bare CR");
        if (this.remaining === 0) {
          this.state = TRAILER;
          this.trailer = "";
          return false;
        }
        this.bodyBytes += this.remaining;
        if (this.maxBody > 0 && this.bodyBytes > this.maxBody)
          throw new HttpError("body_too_large", `Send a body of at most ${this.maxBody} bytes`);
        this.state = CHUNK_DATA;
        return false;
      case CHUNK_DATA_CR:
        if (c !== 13) throw new HttpError("bad_chunk", "Reject chunk data longer than its size");
        this.state = CHUNK_DATA_LF;
        return false;
      case CHUNK_DATA_LF:
        if (c !== 10) throw new HttpError("bad_chunk", "Reject chunk data not followed by CRLF");
        this.state = CHUNK_SIZE;
        this.remaining = 0;
        this.chunkDigits = 0;
        this.chunkLine = 0;
        return false;
      case TRAILER: {
        if (this.trailer.length >= this.limits.maxHeaderSize)
          throw new HttpError(
            "headers_too_large",
            `Send trailers of at most ${this.limits.maxHeaderSize} bytes`,
          );
        const t = this.trailer + String.fromCharCode(c);
        this.trailer = t;
        if (c !== 10) return false;
        if (t.length < 2 || t.charCodeAt(t.length - 2) !== 13)
          throw new HttpError("bare_lf", "Reject a trailer line ending in a bare LF");
        if (t.length === 2 || t.endsWith("\r\n\r\n")) {
          const f = scanTrailers(t.slice(0, t.length - 2), this.limits);
          if (f.names.length > 0) this.h.onTrailers?.(f.names, f.values);
          return true;
        }
        return false;
      }
    }
    throw new HttpError("bad_chunk", "Reject the chunked body: parser in an unknown state");
  }

  /** Parse a head at `pos`; returns the offset after it, or -1 when more bytes are needed. */
  private head(buf: Buffer, pos: number, scan: boolean): number {
    const max = this.limits.maxHeaderSize;
    let p = pos;
    // Tolerate empty lines before a request (some clients send CRLF after a body).
    while (buf[p] === 13 && buf[p + 1] === 10 && p - pos < max) p += 2;
    let head: RequestHead | ResponseHead | undefined = this.repeat(buf, p, pos, max);
    let e: number;
    if (head !== undefined) e = p + this.seenBytes!.length - 4;
    else {
      e = buf.indexOf(CRLFCRLF, p);
      if (e >= 0 && e + 4 - pos <= max) head = this.decode(buf, p, e, pos);
      else {
        if (scan)
          scanHead(
            buf.toString("latin1", p, Math.min(buf.length, pos + max)),
            false,
            this.kind,
            this.limits,
            0,
          );
        if (buf.length - pos >= max)
          throw new HttpError("headers_too_large", `Send a head of at most ${max} bytes`);
        return -1;
      }
    }
    this.headBuf = buf;
    this.headStart = p;
    this.headEnd = e + 4;
    try {
      this.startBody(head!);
    } finally {
      // The head's buffer is often a whole read of a large body (512 KiB): holding it until the next
      // message keeps it alive past young collections, and the heap then grows on fresh pages.
      this.headBuf = undefined;
    }
    return e + 4;
  }

  /**
   * The remembered head again at `p`, byte for byte up to its empty line, as a copy of its decode;
   * else undefined. The first CRLFCRLF in those bytes is their end, so the head ends where it did.
   */
  private repeat(buf: Buffer, p: number, pos: number, max: number): H | undefined {
    const seen = this.seenBytes;
    if (seen === undefined) return undefined;
    const n = seen.length;
    if (buf.length - p < n || p + n - pos > max) return undefined;
    for (let i = 0; i < n; i++) if (buf[p + i] !== seen[i]) return undefined;
    return copyHead(this.seenHead!, p + n - pos);
  }

  /** Decode the complete head at [p, e + 4), and remember it once it came twice in a row. */
  private decode(buf: Buffer, p: number, e: number, pos: number): RequestHead | ResponseHead {
    const text = buf.toString("latin1", p, e + 2);
    const head = scanHead(text, true, this.kind, this.limits, e + 4 - pos)!;
    this.decodes++;
    if (text === this.seenText) {
      this.seenHead = copyHead(head, head.size) as H;
      this.seenBytes = Buffer.from(buf.subarray(p, e + 4));
      this.seenText = "";
    } else {
      this.seenText = text.length <= SEEN_MAX ? text : "";
      this.seenHead = undefined;
      this.seenBytes = undefined;
    }
    return head;
  }

  private startBody(head: RequestHead | ResponseHead): void {
    let mode = HEAD;
    if (this.kind === "request") {
      const r = head as RequestHead;
      if (r.chunked) mode = CHUNK_SIZE;
      else if (r.contentLength > 0) {
        if (this.maxBody > 0 && r.contentLength > this.maxBody)
          throw new HttpError("body_too_large", `Send a body of at most ${this.maxBody} bytes`);
        mode = LENGTH;
      }
    } else {
      const r = head as ResponseHead;
      if (r.status === 101) {
        this.h.onHead(head as H);
        this.state = UPGRADED;
        return;
      }
      if (r.status < 200) {
        this.h.onHead(head as H);
        return; // informational: the final response follows
      }
      if (this.requestMethod === "HEAD" || r.status === 204 || r.status === 304) mode = HEAD;
      else if (r.chunked) mode = CHUNK_SIZE;
      else if (r.teNotChunked || r.contentLength < 0) mode = CLOSE;
      else if (r.contentLength > 0) mode = LENGTH;
    }
    this.remaining = mode === LENGTH ? head.contentLength : 0;
    this.chunkDigits = 0;
    this.chunkLine = 0;
    this.bodyBytes = 0;
    this.state = mode;
    this.h.onHead(head as H);
    if (mode === HEAD) this.endMessage();
  }

  private endMessage(): void {
    this.state = HEAD;
    this.messages++;
    if (this.pauseAfterEnd) this.paused = true;
    this.h.onEnd();
  }
}
