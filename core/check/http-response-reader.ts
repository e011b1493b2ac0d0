// Reads one HTTP/1.x response for the http check with core/http's parser, the one the switch uses, so
// a check judges framing exactly as traffic would meet it: a response the switch would turn into a
// 502 (both Content-Length and Transfer-Encoding, a bad chunk, a bad status line) is a server down.

import { ERROR_CODES } from "../errors/tcpvs-error.ts";
import type { HttpError } from "../http/errors.ts";
import type { ResponseHead } from "../http/head.ts";
import { HttpParser } from "../http/parser.ts";
import type { Reader } from "./probe-conn.ts";
import { CheckFailure } from "./types.ts";

export interface HttpResponse {
  version: string;
  status: number;
  statusText: string;
  headers: Map<string, string>;
  body: Uint8Array;
}

/** The reason a check reports for a response the parser refused: what is wrong, then the code. */
export function badResponse(e: HttpError): CheckFailure {
  return new CheckFailure(`bad response: ${ERROR_CODES[e.code]} (${e.code})`);
}

function toResponse(h: ResponseHead, body: Uint8Array): HttpResponse {
  const headers = new Map<string, string>();
  h.names.forEach((name, i) => {
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? h.values[i]! : `${prev}, ${h.values[i]}`);
  });
  return { version: `1.${h.versionMinor}`, status: h.status, statusText: h.reason, headers, body };
}

/**
 * A Reader for ProbeConn: returns the response once complete. With `wantBody` false it stops after the
 * head, so a status-only check does not download a large page. Interim 1xx responses are skipped.
 */
export function responseReader(method: string, wantBody: boolean): Reader<HttpResponse> {
  let head: ResponseHead | undefined;
  let ended = false;
  const body: Uint8Array[] = [];
  const parser = new HttpParser<ResponseHead>("response", {
    onHead: (h) => {
      if (h.status >= 200 || h.status === 101) head = h;
    },
    onData: (buf, start, end) => {
      if (wantBody) body.push(Uint8Array.prototype.slice.call(buf, start, end));
    },
    onEnd: () => {
      if (head) ended = true;
    },
  });
  parser.requestMethod = method;
  let fed = 0;
  return (buf, eof) => {
    if (buf.length > fed) {
      const err = parser.execute(buf.subarray(fed));
      fed = buf.length;
      if (err) throw badResponse(err);
    }
    // A 101 switches protocols: no HTTP body follows.
    if (head && (!wantBody || head.status === 101)) return toResponse(head, new Uint8Array(0));
    if (!ended && eof) {
      const err = parser.finish();
      if (err) throw badResponse(err);
    }
    return ended && head ? toResponse(head, Buffer.concat(body)) : undefined;
  };
}
