// Heads as they leave tcpvs. Hop-by-hop fields (RFC 9110 7.6.1), and every field the Connection header
// names, stay on their own hop; the framing fields never do, whatever Connection says (a client must
// not be able to strip Content-Length from the request the server sees).

import type { RequestHead, ResponseHead } from "../http/head.ts";
import type { ResponseEdits } from "./actions.ts";

const HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "upgrade", "trailer"]);
const NEVER_STRIP = new Set(["content-length", "transfer-encoding", "host"]);

function dropped(name: string, connection: string[]): boolean {
  if (HOP.has(name)) return true;
  return connection.length > 0 && connection.includes(name) && !NEVER_STRIP.has(name);
}

export interface ForwardOptions {
  clientIp: string;
  clientPort: number;
  /** "http" (no TLS termination yet). */
  proto: string;
  xForwardedFor: boolean;
  xForwardedProto: boolean;
  forwarded: boolean;
  /** Local address the client connected to, for Forwarded by=. */
  localIp: string;
  /**
   * The appended fields as bytes, kept per connection: without Forwarded (whose host= varies) they
   * depend only on the client and the two flags, so requests after the first cost no string work.
   */
  appendCache?: Uint8Array;
  appendKey?: number;
}

function forwardedNode(ip: string): string {
  return ip.includes(":") ? `"[${ip}]"` : ip;
}

/** The request head sent to a server; a string of latin1 characters. */
export function requestHead(req: RequestHead, o: ForwardOptions, upgrade: boolean): string {
  // The client's version is kept: an HTTP/1.0 request may lack Host and its answer must not be chunked.
  let s = `${req.method} ${req.target} HTTP/1.${req.versionMinor === 0 ? 0 : 1}\r\n`;
  const names = req.names;
  const values = req.values;
  const conn = req.connection;
  let xff: string | undefined;
  let fwd: string | undefined;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (dropped(n, conn)) continue;
    if (o.xForwardedFor && n === "x-forwarded-for") {
      xff = xff === undefined ? values[i] : `${xff}, ${values[i]}`;
      continue;
    }
    if (o.xForwardedProto && n === "x-forwarded-proto") continue;
    if (o.forwarded && n === "forwarded") {
      fwd = fwd === undefined ? values[i] : `${fwd}, ${values[i]}`;
      continue;
    }
    s += `${n}: ${values[i]}\r\n`;
  }
  if (o.xForwardedFor)
    s += `x-forwarded-for: ${xff === undefined ? o.clientIp : `${xff}, ${o.clientIp}`}\r\n`;
  if (o.xForwardedProto) s += `x-forwarded-proto: ${o.proto}\r\n`;
  if (o.forwarded) {
    let el = `for=${forwardedNode(o.clientIp)};proto=${o.proto}`;
    if (req.host !== "") el += `;host="${req.host}"`;
    if (o.localIp !== "") el += `;by=${forwardedNode(o.localIp)}`;
    s += `forwarded: ${fwd === undefined ? el : `${fwd}, ${el}`}\r\n`;
  }
  if (upgrade && req.upgrade !== undefined) {
    // An allowed h2c upgrade needs HTTP2-Settings (RFC 7540 3.2.1), which Connection names and so
    // was left behind above: it goes on, named again, for this one hop.
    const settings = req.connection.includes("http2-settings") ? names.indexOf("http2-settings") : -1;
    if (settings >= 0 && /(^|[ ,])h2c($|[ ,/])/.test(req.upgrade))
      s += `connection: upgrade, http2-settings\r\nhttp2-settings: ${values[settings]}\r\n`;
    else s += "connection: upgrade\r\n";
    s += `upgrade: ${headerValue(req, "upgrade")}\r\n`;
  } else if (req.versionMinor === 0) s += "connection: keep-alive\r\n";
  return `${s}\r\n`;
}

/**
 * The fields tcpvs adds when the client's head goes to the server byte for byte (then followed by the
 * final CRLF), or undefined when the head must be rebuilt: a hop-by-hop field, an existing forwarding
 * field to merge, HTTP/1.0, an upgrade, bytes above 0x7f, or fields the parser or the switch changed.
 */
export function appendedFields(req: RequestHead, o: ForwardOptions): string | Uint8Array | undefined {
  if (
    req.versionMinor !== 1 ||
    req.upgrade !== undefined ||
    !req.ascii ||
    req.normalised ||
    req.connection.length > 0
  )
    return undefined;
  const names = req.names;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (HOP.has(n) || n === "x-forwarded-for" || n === "x-forwarded-proto" || n === "forwarded")
      return undefined;
  }
  const key = (o.xForwardedFor ? 1 : 0) | (o.xForwardedProto ? 2 : 0);
  if (!o.forwarded && o.appendKey === key && o.appendCache !== undefined) return o.appendCache;
  let s = "";
  if (o.xForwardedFor) s += `x-forwarded-for: ${o.clientIp}\r\n`;
  if (o.xForwardedProto) s += `x-forwarded-proto: ${o.proto}\r\n`;
  if (o.forwarded) {
    let el = `for=${forwardedNode(o.clientIp)};proto=${o.proto}`;
    if (req.host !== "") el += `;host="${req.host}"`;
    if (o.localIp !== "") el += `;by=${forwardedNode(o.localIp)}`;
    s += `forwarded: ${el}\r\n`;
    return `${s}\r\n`;
  }
  o.appendCache = Buffer.from(`${s}\r\n`, "latin1");
  o.appendKey = key;
  return o.appendCache;
}

function headerValue(h: RequestHead | ResponseHead, name: string): string {
  const i = h.names.indexOf(name);
  return i < 0 ? "" : h.values[i]!;
}

export interface ResponseOptions {
  /** The client connection stays open after this response. */
  keepAlive: boolean;
  /** The client spoke HTTP/1.0: say keep-alive explicitly. */
  clientMinor: number;
  /** Drop Transfer-Encoding (the body is being de-chunked for an HTTP/1.0 client). */
  dechunk: boolean;
  /** A Set-Cookie to add (persistence cookie), or undefined. */
  setCookie: string | undefined;
  /** set_response_header / del_response_header of the rule (and virtual server), or undefined. */
  edits?: ResponseEdits | undefined;
}

/**
 * Whether the server's head can go to the client byte for byte: an HTTP/1.1 response to a keep-alive
 * HTTP/1.1 exchange whose only hop-by-hop field is "Connection: keep-alive" (true on this hop too).
 */
export function responsePassesAsIs(res: ResponseHead, o: ResponseOptions): boolean {
  if (
    res.versionMinor !== 1 ||
    !o.keepAlive ||
    o.clientMinor !== 1 ||
    o.dechunk ||
    o.setCookie !== undefined ||
    o.edits !== undefined
  )
    return false;
  if (res.status < 200 || !res.ascii || res.normalised) return false;
  const conn = res.connection;
  if (conn.length > 1 || (conn.length === 1 && conn[0] !== "keep-alive")) return false;
  const names = res.names;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (n !== "connection" && HOP.has(n)) return false;
  }
  return true;
}

/** None of the response's fields is one `edits` drops or sets: its head can pass, with `edits.tail`. */
export function noFieldEdited(res: ResponseHead, edits: ResponseEdits): boolean {
  const names = res.names;
  const drop = edits.drop;
  for (let i = 0; i < names.length; i++) if (drop.has(names[i]!)) return false;
  return true;
}

/** The response head sent to the client. */
export function responseHead(res: ResponseHead, o: ResponseOptions): string {
  let s = `HTTP/1.1 ${res.status} ${res.reason}\r\n`;
  const names = res.names;
  const values = res.values;
  const conn = res.connection;
  const upgrade = res.status === 101;
  const drop = o.edits?.drop;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (dropped(n, conn)) continue;
    if (o.dechunk && n === "transfer-encoding") continue;
    if (drop?.has(n)) continue;
    s += `${n}: ${values[i]}\r\n`;
  }
  if (o.edits !== undefined) s += o.edits.add;
  if (upgrade) s += `connection: upgrade\r\nupgrade: ${headerValue(res, "upgrade")}\r\n`;
  else if (!o.keepAlive) s += "connection: close\r\n";
  else if (o.clientMinor === 0) s += "connection: keep-alive\r\n";
  if (o.setCookie !== undefined) s += `set-cookie: ${o.setCookie}\r\n`;
  return `${s}\r\n`;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

/** A complete response tcpvs answers itself; always closes the connection. */
export function errorResponse(status: number, code: string): string {
  const body = `${status} ${REASONS[status] ?? "Error"}: ${code}\n`;
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\ncontent-type: text/plain\r\n` +
    `content-length: ${body.length}\r\nconnection: close\r\ncache-control: no-store\r\n\r\n${body}`
  );
}
