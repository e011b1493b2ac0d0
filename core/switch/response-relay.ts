// The response side of an exchange on one client connection: the server's head as the client gets it
// (passed through byte for byte when nothing in it must change), then its body, de-chunked for an
// HTTP/1.0 client. One object per connection, reset for each request.

import type { RequestHead, ResponseHead } from "../http/head.ts";
import type { ResponseEdits } from "./actions.ts";
import type { HttpParser } from "../http/parser.ts";
import { upgradeAccepted } from "./normalise-request.ts";
import type { Out } from "./out.ts";
import { noFieldEdited, type ResponseOptions, responseHead, responsePassesAsIs } from "./rewrite.ts";

/** What the head was (the caller acts on the last three). */
export const R_INFORMATIONAL = 0;
/** A final response head went to the client; its body follows. */
export const R_FINAL = 1;
/** 101 went to the client: the connection becomes a tunnel. */
export const R_UPGRADE = 2;
/** 101 to a request that asked for no upgrade (or for another protocol): a broken server. */
export const R_BAD_UPGRADE = 3;

// Interim and 101 heads are sent as an HTTP/1.1 server would, whatever the client's keep-alive.
const AS_IS: ResponseOptions = { keepAlive: true, clientMinor: 1, dechunk: false, setCookie: undefined };

const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";

/** Its own ResponseOptions for the client's head (no second object per connection). */
export class ResponseRelay implements ResponseOptions {
  private readonly out: Out;
  /** A final (or 101) head went to the client: tcpvs can no longer answer in its place. */
  started = false;
  /** The client connection stays open after this response. */
  keepClient = false;
  /** The body is de-chunked (an HTTP/1.0 client and a chunked response). */
  dechunk = false;
  /** The last final response said the server keeps its side open. */
  serverKeep = true;
  /** tcpvs sent the client its own 100 Continue: the server's is not relayed (a second would confuse). */
  continued = false;
  /** ResponseOptions: the request's minor version and the cookie to add, set for each head. */
  clientMinor = 1;
  setCookie: string | undefined = undefined;
  /** The rule's (and virtual server's) response header edits, while a head is built. */
  edits: ResponseEdits | undefined = undefined;

  constructor(out: Out) {
    this.out = out;
  }

  /** ResponseOptions: the client connection stays open after this response. */
  get keepAlive(): boolean {
    return this.keepClient;
  }

  reset(): void {
    this.started = false;
    this.keepClient = false;
    this.dechunk = false;
    this.continued = false;
  }

  /** Tell the client to send its body now (Expect: 100-continue on a body tcpvs reads first). */
  sendContinue(): void {
    this.out.write(CONTINUE);
    this.continued = true;
  }

  /**
   * Relay the head `h` (parsed by `p`) of the response to `req`. `mayKeep`: nothing on our side
   * stops the client connection from staying open (the request was read whole, no drain, no EOF);
   * `setCookie`: a persistence cookie to add.
   */
  head(
    h: ResponseHead,
    p: HttpParser<ResponseHead>,
    req: RequestHead,
    mayKeep: boolean,
    setCookie: string | undefined,
    edits?: ResponseEdits,
  ): number {
    const status = h.status;
    if (status < 200 && status !== 101) {
      // An HTTP/1.0 client knows no interim responses.
      if (req.versionMinor >= 1 && !(status === 100 && this.continued))
        this.out.write(responseHead(h, AS_IS));
      return R_INFORMATIONAL;
    }
    if (status === 101) {
      if (!upgradeAccepted(h, req)) return R_BAD_UPGRADE;
      this.started = true;
      this.out.write(responseHead(h, AS_IS));
      return R_UPGRADE;
    }
    this.started = true;
    this.serverKeep = h.keepAlive;
    const bodiless = req.method === "HEAD" || status === 204 || status === 304;
    const closeDelimited = !bodiless && !h.chunked && (h.contentLength < 0 || h.teNotChunked);
    this.keepClient = mayKeep && req.keepAlive && !closeDelimited;
    this.dechunk = req.versionMinor === 0 && h.chunked && !bodiless;
    this.clientMinor = req.versionMinor;
    this.setCookie = setCookie;
    this.edits = undefined;
    if (p.headBuf && responsePassesAsIs(h, this)) {
      // Fields only added (HSTS on a response without one): the server's head, then ours.
      if (edits === undefined) this.out.writeRange(p.headBuf, p.headStart, p.headEnd);
      else if (noFieldEdited(h, edits)) {
        this.out.writeRange(p.headBuf, p.headStart, p.headEnd - 2);
        this.out.write(edits.tail);
      } else {
        this.edits = edits;
        this.out.write(h.ascii ? responseHead(h, this) : Buffer.from(responseHead(h, this), "latin1"));
      }
    } else {
      this.edits = edits;
      const head = responseHead(h, this);
      this.out.write(h.ascii ? head : Buffer.from(head, "latin1"));
    }
    this.setCookie = undefined;
    return R_FINAL;
  }

  /** Body bytes as the server framed them. */
  body(b: Buffer, s: number, e: number): void {
    if (!this.dechunk) this.out.writeRange(b, s, e);
  }

  /** Decoded body bytes. */
  data(b: Buffer, s: number, e: number): void {
    if (this.dechunk) this.out.writeRange(b, s, e);
  }
}
