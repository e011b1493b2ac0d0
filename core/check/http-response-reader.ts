// Reads one HTTP/1.x response from bytes as they arrive: status line, headers, then a body framed by
// Content-Length, chunked encoding, or the end of the connection. Pure: feed it the buffer so far.

import { TcpvsError } from "../errors/tcpvs-error.ts";

export interface HttpResponse {
  version: string;
  status: number;
  statusText: string;
  headers: Map<string, string>;
  body: Uint8Array;
}

export class HttpResponseError extends TcpvsError {
  declare readonly code: "bad_status_line";
  constructor(message: string) {
    super("bad_status_line", message);
    this.name = "HttpResponseError";
  }
}

const MAX_HEAD = 64 * 1024;
const decoder = new TextDecoder("latin1");

function findCrlfCrlf(buf: Uint8Array, from: number): number {
  for (let i = from; i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

function findCrlf(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}

/** Parse the head; undefined while incomplete. */
export function parseHead(buf: Uint8Array): { res: HttpResponse; bodyStart: number } | undefined {
  const end = findCrlfCrlf(buf, 0);
  if (end < 0) {
    if (buf.length > MAX_HEAD) throw new HttpResponseError("response head too large");
    return undefined;
  }
  const lines = decoder.decode(buf.subarray(0, end)).split("\r\n");
  const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
  if (!m) throw new HttpResponseError(`bad status line ${JSON.stringify((lines[0] ?? "").slice(0, 60))}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpResponseError(`bad header line ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  const res = {
    version: m[1]!,
    status: Number(m[2]),
    statusText: m[3] ?? "",
    headers,
    body: new Uint8Array(),
  };
  return { res, bodyStart: end + 4 };
}

/** Decode a chunked body; undefined while incomplete. */
export function parseChunked(buf: Uint8Array, start: number): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let at = start;
  for (;;) {
    const lineEnd = findCrlf(buf, at);
    if (lineEnd < 0) return undefined;
    const sizeText = decoder.decode(buf.subarray(at, lineEnd)).split(";")[0]!.trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) {
      throw new HttpResponseError(`bad chunk size ${JSON.stringify(sizeText.slice(0, 20))}`);
    }
    const size = Number.parseInt(sizeText, 16);
    at = lineEnd + 2;
    if (size === 0) {
      // Trailers end with an empty line; skip them.
      for (;;) {
        const e = findCrlf(buf, at);
        if (e < 0) return undefined;
        if (e === at) return Buffer.concat(parts);
        at = e + 2;
      }
    }
    if (buf.length < at + size + 2) return undefined;
    parts.push(buf.subarray(at, at + size));
    at += size + 2;
  }
}

/**
 * A Reader for TcpConn: returns the response once complete. With `wantBody` false it stops after the
 * head, so a status-only check does not download a large page.
 */
export function responseReader(method: string, wantBody: boolean) {
  return (buf: Uint8Array, eof: boolean): HttpResponse | undefined => {
    const head = parseHead(buf);
    if (!head) {
      if (eof && buf.length > 0) throw new HttpResponseError("response head cut short");
      return undefined;
    }
    const { res, bodyStart } = head;
    const noBody = method === "HEAD" || res.status === 204 || res.status === 304 || res.status < 200;
    if (!wantBody || noBody) return res;
    const te = res.headers.get("transfer-encoding")?.toLowerCase();
    if (te && te !== "identity") {
      if (!te.endsWith("chunked")) throw new HttpResponseError(`unsupported transfer-encoding "${te}"`);
      const body = parseChunked(buf, bodyStart);
      if (body === undefined) {
        if (eof) throw new HttpResponseError("chunked body cut short");
        return undefined;
      }
      res.body = body;
      return res;
    }
    const cl = res.headers.get("content-length");
    if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) throw new HttpResponseError(`bad content-length "${cl}"`);
      const n = Number(cl);
      if (buf.length - bodyStart < n) {
        if (eof) throw new HttpResponseError("body cut short");
        return undefined;
      }
      res.body = buf.subarray(bodyStart, bodyStart + n);
      return res;
    }
    if (!eof) return undefined;
    res.body = buf.subarray(bodyStart);
    return res;
  };
}
