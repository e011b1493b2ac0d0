// Validates and decodes a message head (start line + header fields, RFC 9112) from a latin1 string.
// The same routine runs on a complete head and on an incomplete prefix (complete = false): it checks
// every finished line in order and stops at the first error, so feeding a message byte by byte or in
// one piece ends with the same verdict.

import { HttpError, quote } from "./errors.ts";
import {
  CONNECTION,
  CONTENT_LENGTH,
  EXPECT,
  FIELD_NAMES,
  HOST,
  hashStep,
  knownName,
  LAST_ACTED_ON,
  lowerName,
  TRANSFER_ENCODING,
  UPGRADE,
} from "./field-names.ts";

export interface HeadLimits {
  /** Whole head, start line and final empty line included. */
  maxHeaderSize: number;
  maxHeaders: number;
  /** Request line without its CRLF (-> 414). */
  maxRequestLine: number;
}

export const DEFAULT_LIMITS: HeadLimits = { maxHeaderSize: 16384, maxHeaders: 100, maxRequestLine: 8192 };

export interface MessageHead {
  versionMinor: number;
  /** Field names, lower-cased; parallel to `values`. */
  names: string[];
  /** Field values, surrounding whitespace removed. */
  values: string[];
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** Transfer-Encoding present with a final coding other than chunked (a response read until close). */
  teNotChunked: boolean;
  keepAlive: boolean;
  /** Lower-cased tokens of every Connection field. */
  connection: string[];
  /** Lower-cased Upgrade value (every Upgrade field, joined) when Connection names "upgrade". */
  upgrade: string | undefined;
  /** No byte above 0x7f: the head can be re-sent as a plain string. */
  ascii: boolean;
  /**
   * `names`/`values` no longer match the head's bytes (a repeated Content-Length folded into one here,
   * or the switch's own rewrite): whoever passes the message on must rebuild the head from them.
   */
  normalised: boolean;
  /** Bytes of the head on the wire, empty line included. */
  size: number;
}

export interface RequestHead extends MessageHead {
  method: string;
  target: string;
  /** Host from an absolute-form target or the Host field; "" when empty. */
  host: string;
  expectContinue: boolean;
}

export interface ResponseHead extends MessageHead {
  status: number;
  reason: string;
}

// tchar (RFC 9110 5.6.2) as a lookup table.
const TCHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9!#$%&'*+\-.^_`|~]/.test(ch)) TCHAR[c] = 1;
}

// reg-name characters of RFC 3986 (unreserved, sub-delims, pct-encoded's "%") as a lookup table.
const REGNAME = new Uint8Array(128);
for (const ch of "-._~!$&'()*+,;=%") REGNAME[ch.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) REGNAME[c] = 1;
for (let c = 65; c <= 90; c++) REGNAME[c] = 2; // upper case: the host needs lower-casing
for (let c = 97; c <= 122; c++) REGNAME[c] = 1;

const HOST_BAD = 0;
const HOST_LOWER = 1;
const HOST_UPPER = 2;

/**
 * Check s[a, b) as uri-host [":" port] (a reg-name or an IP literal in brackets, port digits only),
 * without a regex or a substring: HOST_BAD, or whether an upper-case letter needs lower-casing.
 */
function hostKind(s: string, a: number, b: number): number {
  let i = a;
  let upper = false;
  if (i < b && s.charCodeAt(i) === 91 /* [ */) {
    i++;
    const start = i;
    for (; i < b; i++) {
      const c = s.charCodeAt(i);
      if ((c >= 48 && c <= 58) || c === 46 || (c >= 97 && c <= 102)) continue;
      if (c >= 65 && c <= 70) {
        upper = true;
        continue;
      }
      break;
    }
    if (i === start || i >= b || s.charCodeAt(i) !== 93 /* ] */) return HOST_BAD;
    i++;
  } else {
    for (; i < b; i++) {
      const c = s.charCodeAt(i);
      const k = c < 128 ? REGNAME[c]! : 0;
      if (k === 0) break;
      if (k === 2) upper = true;
    }
  }
  if (i < b) {
    if (s.charCodeAt(i) !== 58 /* : */) return HOST_BAD;
    for (i++; i < b; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return HOST_BAD;
    }
  }
  return upper ? HOST_UPPER : HOST_LOWER;
}
const VERSION_RE = /^HTTP\/([0-9])\.([0-9])$/;

function ctlError(c: number, where: string, text: string): HttpError {
  if (c === 10) return new HttpError("bare_lf", `Reject the message: bare LF in ${where} ${quote(text)}`);
  if (c === 13) return new HttpError("bare_cr", `Reject the message: bare CR in ${where} ${quote(text)}`);
  const code = where === "field value" ? "bad_header_value" : "bad_header_name";
  return new HttpError(
    code,
    `Reject the message: control byte 0x${c.toString(16)} in ${where} ${quote(text)}`,
  );
}

/** Mutable accumulator while the field lines are read. */
interface FieldState {
  names: string[];
  values: string[];
  contentLength: number;
  te: string[];
  connection: string[];
  hosts: number;
  host: string;
  /** The Host field has an upper-case letter (lower-cased once, at the end). */
  hostUpper: boolean;
  /** Connection tokens seen (the list keeps them all for hop-by-hop removal). */
  connClose: boolean;
  connKeepAlive: boolean;
  connUpgrade: boolean;
  upgradeValue: string | undefined;
  expect: string | undefined;
  ascii: boolean;
  /** Content-Length came as more than one field or as a list (all one value, else it threw). */
  clRepeat: boolean;
}

const SCRATCH_NAMES: string[] = [];
const SCRATCH_VALUES: string[] = [];

/** Shared empty list for heads without Connection or Transfer-Encoding tokens: read-only. */
const NONE: string[] = [];
const FS: FieldState = {
  names: NONE,
  values: NONE,
  contentLength: -1,
  te: NONE,
  connection: NONE,
  hosts: 0,
  host: "",
  hostUpper: false,
  connClose: false,
  connKeepAlive: false,
  connUpgrade: false,
  upgradeValue: undefined,
  expect: undefined,
  ascii: true,
  clRepeat: false,
};

function resetFields(fs: FieldState): FieldState {
  // The shared lists keep their capacity across heads; each head gets exact-size copies at the end.
  fs.names = SCRATCH_NAMES;
  fs.values = SCRATCH_VALUES;
  SCRATCH_NAMES.length = 0;
  SCRATCH_VALUES.length = 0;
  fs.contentLength = -1;
  fs.te = NONE;
  fs.connection = NONE;
  fs.hosts = 0;
  fs.host = "";
  fs.hostUpper = false;
  fs.connClose = false;
  fs.connKeepAlive = false;
  fs.connUpgrade = false;
  fs.upgradeValue = undefined;
  fs.expect = undefined;
  fs.ascii = true;
  fs.clRepeat = false;
  return fs;
}

/**
 * The start of a request line still arriving: the bytes before the first space must be a method's
 * tchars. A TLS ClientHello (0x16) or any other protocol is refused at its first byte rather than
 * left to the header timeout. Checked on every look at a request head, whole or partial, so a split
 * never changes the verdict; empty lines before a request were skipped by the caller (RFC 9112 2.2).
 */
function checkMethodSoFar(s: string): void {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      if (i === 0)
        throw new HttpError("bad_request_line", `Reject the request line ${quote(s.slice(0, 40))}`);
      return;
    }
    // A CR or LF ends what can be judged here; the whole start line is checked once its LF is in.
    if (c === 13 || c === 10) return;
    if (c >= 128 || TCHAR[c] === 0)
      throw new HttpError(
        "bad_method",
        `Reject a request starting ${quote(s.slice(0, i + 1))}: not an HTTP method`,
      );
  }
}

/**
 * Decode the head in `s`. With complete = true, `s` holds the start line and every field line, each
 * ending in CRLF, but not the final empty line; with complete = false it is a prefix still arriving
 * and the result is undefined when no error was found yet.
 */
export function scanHead(
  s: string,
  complete: boolean,
  kind: "request" | "response",
  limits: HeadLimits,
  size: number,
): RequestHead | ResponseHead | undefined {
  if (kind === "request") checkMethodSoFar(s);
  let lf = s.indexOf("\n");
  if (lf < 0) {
    if (kind === "request" && s.length > limits.maxRequestLine)
      throw new HttpError(
        "uri_too_long",
        `Shorten the request line: longer than ${limits.maxRequestLine} bytes`,
      );
    return undefined;
  }
  if (lf === 0 || s.charCodeAt(lf - 1) !== 13) {
    throw new HttpError(
      "bare_lf",
      `Reject the message: start line ends in a bare LF ${quote(s.slice(0, lf))}`,
    );
  }
  const startEnd = lf - 1;
  // One accumulator reused by every call (scanHead never re-enters); the lists a head keeps are new.
  const fs = resetFields(FS);
  let method = "";
  let target = "";
  let status = 0;
  let reason = "";
  let minor: number;
  if (kind === "request") {
    if (startEnd > limits.maxRequestLine)
      throw new HttpError(
        "uri_too_long",
        `Shorten the request line: longer than ${limits.maxRequestLine} bytes`,
      );
    const sp1 = s.indexOf(" ");
    const sp2 = sp1 < 0 ? -1 : s.indexOf(" ", sp1 + 1);
    let sp3 = -1;
    for (let i = sp2 + 1; sp2 >= 0 && i < startEnd; i++) {
      if (s.charCodeAt(i) === 32) {
        sp3 = i;
        break;
      }
    }
    if (sp1 <= 0 || sp2 < 0 || sp2 >= startEnd || sp3 >= 0) {
      throw new HttpError("bad_request_line", `Reject the request line ${quote(s.slice(0, startEnd))}`);
    }
    method = s.slice(0, sp1);
    for (let i = 0; i < sp1; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128 || TCHAR[c] === 0) throw new HttpError("bad_method", `Reject the method ${quote(method)}`);
    }
    target = s.slice(sp1 + 1, sp2);
    if (target.length === 0) throw new HttpError("bad_target", "Reject the request: empty target");
    for (let i = sp1 + 1; i < sp2; i++) {
      const c = s.charCodeAt(i);
      if (c <= 32 || c >= 127)
        throw new HttpError("bad_target", `Reject the request target ${quote(target)}`);
    }
    minor = versionAt(s, sp2 + 1, startEnd);
    if (method === "CONNECT")
      throw new HttpError("unsupported_method", "Refuse CONNECT: tcpvs is not a forward proxy");
    const t0 = target.charCodeAt(0);
    if (t0 !== 47 /* / */ && !(target === "*" && method === "OPTIONS") && !/^https?:\/\//i.test(target)) {
      throw new HttpError(
        "bad_target",
        `Reject the request target ${quote(target)}: not origin, absolute or *`,
      );
    }
  } else {
    const sp1 = s.indexOf(" ");
    if (sp1 < 0 || sp1 > startEnd)
      throw new HttpError("bad_status_line", `Reject the status line ${quote(s.slice(0, startEnd))}`);
    minor = versionAt(s, 0, sp1, "bad_status_line");
    const d1 = s.charCodeAt(sp1 + 1) - 48;
    const d2 = s.charCodeAt(sp1 + 2) - 48;
    const d3 = s.charCodeAt(sp1 + 3) - 48;
    const after = sp1 + 4;
    if (
      !(d1 >= 1 && d1 <= 9 && d2 >= 0 && d2 <= 9 && d3 >= 0 && d3 <= 9) ||
      (after < startEnd && s.charCodeAt(after) !== 32) ||
      after > startEnd
    ) {
      throw new HttpError("bad_status_line", `Reject the status line ${quote(s.slice(0, startEnd))}`);
    }
    status = d1 * 100 + d2 * 10 + d3;
    reason = after < startEnd ? s.slice(after + 1, startEnd) : "";
    for (let i = 0; i < reason.length; i++) {
      const c = reason.charCodeAt(i);
      if ((c < 32 && c !== 9) || c === 127) throw ctlError(c, "reason phrase", reason);
    }
  }

  // Field lines.
  let ls = lf + 1;
  for (;;) {
    lf = s.indexOf("\n", ls);
    if (lf < 0) break;
    if (lf === ls || s.charCodeAt(lf - 1) !== 13) {
      throw new HttpError(
        "bare_lf",
        `Reject the message: field line ends in a bare LF ${quote(s.slice(ls, lf))}`,
      );
    }
    const le = lf - 1;
    if (le === ls) break; // the empty line: only in a prefix, the complete head excludes it
    fieldLine(s, ls, le, fs, limits);
    ls = lf + 1;
  }
  if (!complete) return undefined;

  const names = fs.names.slice();
  const values = fs.values.slice();
  // RFC 9110 8.6: one value sent repeatedly may be replaced by a single field, which is what a
  // server further on gets (a strict one would answer 400 to two, or read them differently).
  if (fs.clRepeat) oneContentLength(names, values);
  const chunkedTe = fs.te.length > 0 && fs.te[fs.te.length - 1] === "chunked";
  if (fs.te.length > 0) {
    if (fs.contentLength >= 0)
      throw new HttpError("cl_and_te", "Reject the message: both Content-Length and Transfer-Encoding");
    if (minor === 0 && kind === "request")
      throw new HttpError("te_on_http10", "Reject the request: Transfer-Encoding on HTTP/1.0");
    if (fs.te.indexOf("chunked") !== fs.te.length - 1 && fs.te.indexOf("chunked") >= 0)
      throw new HttpError("bad_transfer_encoding", `Reject Transfer-Encoding ${quote(fs.te.join(", "))}`);
    if (!chunkedTe && kind === "request")
      throw new HttpError(
        "bad_transfer_encoding",
        `Reject Transfer-Encoding ${quote(fs.te.join(", "))}: not chunked last`,
      );
  }
  const close = fs.connClose;
  const keepAlive = minor >= 1 ? !close : !close && fs.connKeepAlive;
  const upgrade = fs.upgradeValue !== undefined && fs.connUpgrade ? fs.upgradeValue.toLowerCase() : undefined;
  const teNotChunked = fs.te.length > 0 && !chunkedTe;
  if (kind === "response") {
    // Literal objects with every field in one order keep the shapes monomorphic (no spread copies).
    const r: ResponseHead = {
      versionMinor: minor,
      names,
      values,
      contentLength: fs.contentLength,
      chunked: chunkedTe,
      teNotChunked,
      keepAlive,
      connection: fs.connection,
      upgrade,
      ascii: fs.ascii,
      normalised: fs.clRepeat,
      size,
      status,
      reason,
    };
    return r;
  }

  if (fs.hosts > 1) throw new HttpError("duplicate_host", "Reject the request: more than one Host field");
  if (fs.hosts === 0 && minor >= 1)
    throw new HttpError("missing_host", "Add a Host field: required in HTTP/1.1");
  let host = fs.hostUpper ? fs.host.toLowerCase() : fs.host;
  if (target.charCodeAt(0) !== 47 && target !== "*") {
    const m = /^https?:\/\/([^/?#]*)/i.exec(target);
    host = m?.[1] ?? "";
    const k = hostKind(host, 0, host.length);
    // RFC 9110 4.2.1: an http(s) URI with an empty host is invalid and must be rejected.
    if (k === HOST_BAD || host.length === 0 || host.charCodeAt(0) === 58 /* : */)
      throw new HttpError("bad_host", `Reject the authority ${quote(host)} in the request target`);
    if (k === HOST_UPPER) host = host.toLowerCase();
  }
  let expectContinue = false;
  if (fs.expect !== undefined && minor >= 1) {
    if (fs.expect.toLowerCase() !== "100-continue")
      throw new HttpError("bad_expect", `Reject Expect ${quote(fs.expect)}: only 100-continue is known`);
    expectContinue = true;
  }
  const r: RequestHead = {
    versionMinor: minor,
    names,
    values,
    contentLength: fs.contentLength,
    chunked: chunkedTe,
    teNotChunked,
    keepAlive,
    connection: fs.connection,
    upgrade,
    ascii: fs.ascii,
    normalised: fs.clRepeat,
    size,
    method,
    target,
    host,
    expectContinue,
  };
  return r;
}

/**
 * A head equal to `h` with lists of its own, for a caller that edits what it is given; `size` is the
 * new message's (empty lines before a request count). Fields in scanHead's order keep one shape.
 */
export function copyHead<H extends RequestHead | ResponseHead>(h: H, size: number): H {
  if ("status" in h) {
    const r: ResponseHead = {
      versionMinor: h.versionMinor,
      names: h.names.slice(),
      values: h.values.slice(),
      contentLength: h.contentLength,
      chunked: h.chunked,
      teNotChunked: h.teNotChunked,
      keepAlive: h.keepAlive,
      connection: h.connection,
      upgrade: h.upgrade,
      ascii: h.ascii,
      normalised: h.normalised,
      size,
      status: h.status,
      reason: h.reason,
    };
    return r as H;
  }
  const q = h as RequestHead;
  const r: RequestHead = {
    versionMinor: q.versionMinor,
    names: q.names.slice(),
    values: q.values.slice(),
    contentLength: q.contentLength,
    chunked: q.chunked,
    teNotChunked: q.teNotChunked,
    keepAlive: q.keepAlive,
    connection: q.connection,
    upgrade: q.upgrade,
    ascii: q.ascii,
    normalised: q.normalised,
    size,
    method: q.method,
    target: q.target,
    host: q.host,
    expectContinue: q.expectContinue,
  };
  return r as H;
}

/** The minor version of "HTTP/1.x" at s[a, b), checked in place; anything else throws. */
function versionAt(
  s: string,
  a: number,
  b: number,
  code: "bad_version" | "bad_status_line" = "bad_version",
): number {
  if (
    b - a === 8 &&
    s.charCodeAt(a) === 72 && // H
    s.charCodeAt(a + 1) === 84 && // T
    s.charCodeAt(a + 2) === 84 && // T
    s.charCodeAt(a + 3) === 80 && // P
    s.charCodeAt(a + 4) === 47 && // /
    s.charCodeAt(a + 5) === 49 && // 1
    s.charCodeAt(a + 6) === 46 // .
  ) {
    const d = s.charCodeAt(a + 7) - 48;
    if (d >= 0 && d <= 9) return d;
  }
  return parseVersion(s.slice(a, b), code);
}

function parseVersion(v: string, code: "bad_version" | "bad_status_line" = "bad_version"): number {
  const m = VERSION_RE.exec(v);
  if (!m) throw new HttpError(code, `Reject the HTTP version ${quote(v)}`);
  if (m[1] !== "1") throw new HttpError("version_not_supported", `Speak HTTP/1.x: got ${quote(v)}`);
  return Number(m[2]);
}

/** Say what is wrong with a field line whose name did not end cleanly at a colon (always throws). */
function nameError(s: string, ls: number, le: number): never {
  const colon = s.indexOf(":", ls);
  if (colon < 0 || colon > le) {
    for (let i = ls; i < le; i++) {
      const c = s.charCodeAt(i);
      if (c < 32 || c === 127) throw ctlError(c, "field name", s.slice(ls, le));
    }
    throw new HttpError("bad_header_name", `Reject field line without colon ${quote(s.slice(ls, le))}`);
  }
  if (colon === ls)
    throw new HttpError("bad_header_name", `Reject field line with empty name ${quote(s.slice(ls, le))}`);
  for (let i = ls; i < colon; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && TCHAR[c] === 1) continue;
    if (c === 32 || c === 9) {
      let j = i;
      while (j < colon && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9)) j++;
      if (j === colon)
        throw new HttpError(
          "space_before_colon",
          `Reject whitespace before colon in ${quote(s.slice(ls, colon + 1))}`,
        );
    }
    if (c < 32 || c === 127) throw ctlError(c, "field name", s.slice(ls, colon));
    throw new HttpError("bad_header_name", `Reject the field name ${quote(s.slice(ls, colon))}`);
  }
  throw new HttpError("bad_header_name", `Reject the field name ${quote(s.slice(ls, le))}`);
}

function fieldLine(s: string, ls: number, le: number, fs: FieldState, limits: HeadLimits): void {
  const c0 = s.charCodeAt(ls);
  if (c0 === 32 || c0 === 9)
    throw new HttpError("obs_fold", `Reject folded field line ${quote(s.slice(ls, le))}`);
  // Fast path: a run of tchar ending at the colon; anything else takes the slow path below to say why.
  let colon = ls;
  let upper = false;
  let h = 0;
  for (; colon < le; colon++) {
    let c = s.charCodeAt(colon);
    if (c >= 128 || TCHAR[c] === 0) break;
    if (c >= 65 && c <= 90) {
      upper = true;
      c += 32;
    }
    h = hashStep(h, c);
  }
  if (colon === ls || colon === le || s.charCodeAt(colon) !== 58) nameError(s, ls, le);
  let vs = colon + 1;
  let ve = le;
  while (vs < ve && (s.charCodeAt(vs) === 32 || s.charCodeAt(vs) === 9)) vs++;
  while (ve > vs && (s.charCodeAt(ve - 1) === 32 || s.charCodeAt(ve - 1) === 9)) ve--;
  for (let i = vs; i < ve; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c !== 127) {
      if (c >= 128) fs.ascii = false;
      continue;
    }
    if (c !== 9) throw ctlError(c, "field value", s.slice(vs, ve));
  }
  if (fs.names.length >= limits.maxHeaders)
    throw new HttpError("too_many_headers", `Send at most ${limits.maxHeaders} header fields`);
  const known = knownName(s, ls, colon, h);
  const name = known >= 0 ? FIELD_NAMES[known]! : lowerName(s, ls, colon, upper);
  const value = s.slice(vs, ve);
  fs.names.push(name);
  fs.values.push(value);
  if (known > LAST_ACTED_ON) return;
  switch (known) {
    case CONTENT_LENGTH:
      contentLength(s, vs, ve, value, fs);
      break;
    case TRANSFER_ENCODING:
      for (const t of value.split(",")) {
        const tok = t.trim().toLowerCase();
        if (tok === "") continue;
        if (!isToken(tok.split(";")[0]!.trim()))
          throw new HttpError("bad_transfer_encoding", `Reject Transfer-Encoding ${quote(value)}`);
        if (fs.te === NONE) fs.te = [];
        fs.te.push(tok);
      }
      if (fs.te.length === 0)
        throw new HttpError("bad_transfer_encoding", "Reject an empty Transfer-Encoding");
      break;
    case CONNECTION:
      // The usual single token, compared in place (no substring is materialised).
      if (ve - vs === 10 && sameAt(s, vs, "keep-alive")) {
        if (fs.connection === NONE) fs.connection = [];
        fs.connection.push("keep-alive");
        fs.connKeepAlive = true;
        break;
      }
      if (ve - vs === 5 && sameAt(s, vs, "close")) {
        if (fs.connection === NONE) fs.connection = [];
        fs.connection.push("close");
        fs.connClose = true;
        break;
      }
      for (const t of value.split(",")) {
        const tok = t.trim().toLowerCase();
        if (tok === "") continue;
        if (fs.connection === NONE) fs.connection = [];
        fs.connection.push(tok);
        if (tok === "close") fs.connClose = true;
        else if (tok === "keep-alive") fs.connKeepAlive = true;
        else if (tok === "upgrade") fs.connUpgrade = true;
      }
      break;
    case HOST: {
      fs.hosts++;
      const k = hostKind(s, vs, ve);
      if (k === HOST_BAD) throw new HttpError("bad_host", `Reject the Host ${quote(value)}`);
      fs.host = value;
      fs.hostUpper = k === HOST_UPPER;
      break;
    }
    case UPGRADE:
      // Repeated fields are one list (RFC 9110 5.3): a second must not hide behind the first.
      fs.upgradeValue = fs.upgradeValue === undefined ? value : `${fs.upgradeValue}, ${value}`;
      break;
    case EXPECT:
      fs.expect = value;
      break;
  }
}

/** s has `lit` at `at` (exact bytes): compared in place, where startsWith with a position is slow. */
function sameAt(s: string, at: number, lit: string): boolean {
  for (let i = 0; i < lit.length; i++) if (s.charCodeAt(at + i) !== lit.charCodeAt(i)) return false;
  return true;
}

/** Content-Length's value, at s[vs, ve) and as `value`. */
function contentLength(s: string, vs: number, ve: number, value: string, fs: FieldState): void {
  // Fast path: a plain number, read in the head (the first look inside a substring copies it).
  if (ve > vs && ve - vs <= 15) {
    let n = 0;
    let i = vs;
    for (; i < ve; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
    }
    if (i === ve) {
      if (fs.contentLength >= 0) {
        if (fs.contentLength !== n)
          throw new HttpError(
            "conflicting_content_length",
            `Reject differing Content-Length values ${quote(value)}`,
          );
        fs.clRepeat = true;
      }
      fs.contentLength = n;
      return;
    }
  }
  // Not a plain number: a list of equal numbers is accepted (and folded into one), anything else not.
  fs.clRepeat = true;
  for (const part of value.split(",")) {
    const p = part.trim();
    if (!/^[0-9]{1,15}$/.test(p))
      throw new HttpError("bad_content_length", `Reject Content-Length ${quote(value)}`);
    const n = Number(p);
    if (fs.contentLength >= 0 && fs.contentLength !== n)
      throw new HttpError(
        "conflicting_content_length",
        `Reject differing Content-Length values ${quote(value)}`,
      );
    fs.contentLength = n;
  }
}

/** Keep the first Content-Length field, holding the one value, and drop the others. */
function oneContentLength(names: string[], values: string[]): void {
  let w = 0;
  let seen = false;
  for (let i = 0; i < names.length; i++) {
    if (names[i] === "content-length") {
      if (seen) continue;
      seen = true;
      const v = values[i]!;
      const comma = v.indexOf(",");
      values[i] = comma < 0 ? v : v.slice(0, comma).trim();
    }
    names[w] = names[i]!;
    values[w] = values[i]!;
    w++;
  }
  names.length = w;
  values.length = w;
}

function isToken(t: string): boolean {
  if (t.length === 0) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** First value of a field by lower-case name. */
export function headerValue(h: MessageHead, lowerName: string): string | undefined {
  const i = h.names.indexOf(lowerName);
  return i < 0 ? undefined : h.values[i];
}

/** Validate a trailer section (field lines each ending in CRLF, no final empty line). */
export function scanTrailers(s: string, limits: HeadLimits): { names: string[]; values: string[] } {
  const fs: FieldState = {
    names: [],
    values: [],
    contentLength: -1,
    te: [],
    connection: [],
    hosts: 0,
    host: "",
    hostUpper: false,
    connClose: false,
    connKeepAlive: false,
    connUpgrade: false,
    upgradeValue: undefined,
    expect: undefined,
    ascii: true,
    clRepeat: false,
  };
  let ls = 0;
  for (;;) {
    const lf = s.indexOf("\n", ls);
    if (lf < 0) break;
    if (lf === ls || s.charCodeAt(lf - 1) !== 13)
      throw new HttpError("bare_lf", "Reject a trailer line ending in a bare LF");
    fieldLine(s, ls, lf - 1, fs, limits);
    ls = lf + 1;
  }
  return { names: fs.names, values: fs.values };
}
