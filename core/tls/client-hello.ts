// A TLS ClientHello read without terminating TLS (HAProxy's req.ssl_sni): the server name and the
// ALPN offer, from the first bytes a client sends. Pure: bytes in, a verdict out. The handshake
// message may span several records; what is buffered is bounded by CLIENT_HELLO_MAX.
//
// RFC 8446 4.1.2 (ClientHello), RFC 6066 3 (server_name), RFC 7301 3.1 (ALPN).

/** The most bytes of records read while looking for the end of a ClientHello. */
export const CLIENT_HELLO_MAX = 16_384;

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;

export type HelloVerdict =
  /** Not enough bytes yet: read more (the caller enforces the time limit). */
  | { kind: "more" }
  /** Not a TLS ClientHello (plain text, another protocol, a broken record). */
  | { kind: "not_tls"; why: string }
  /** Past CLIENT_HELLO_MAX without a complete ClientHello. */
  | { kind: "too_big" }
  | { kind: "hello"; serverName: string | undefined; alpn: string[] };

const MORE: HelloVerdict = { kind: "more" };

function notTls(why: string): HelloVerdict {
  return { kind: "not_tls", why };
}

/** Judge the bytes a client sent so far (all of them, from the first). */
export function readClientHello(buf: Uint8Array): HelloVerdict {
  // Records: type(1) version(2) length(2), then the fragment; gather the handshake bytes.
  const hs: Uint8Array[] = [];
  let have = 0;
  let need = -1;
  let i = 0;
  while (true) {
    if (buf.length - i < 5) return buf.length >= CLIENT_HELLO_MAX ? { kind: "too_big" } : MORE;
    if (buf[i] !== CONTENT_HANDSHAKE)
      return notTls(
        i === 0 ? "not a TLS handshake record" : "a record of another type inside the ClientHello",
      );
    if (buf[i + 1] !== 3) return notTls("not a TLS record version");
    const len = (buf[i + 3]! << 8) | buf[i + 4]!;
    if (len === 0 || len > 16_384) return notTls("a record length out of range");
    if (i + 5 + len > CLIENT_HELLO_MAX) return { kind: "too_big" };
    if (buf.length < i + 5 + len) return MORE;
    const frag = buf.subarray(i + 5, i + 5 + len);
    hs.push(frag);
    have += frag.length;
    i += 5 + len;
    if (need < 0 && have >= 4) {
      const h = hs.length === 1 ? hs[0]! : concat(hs, have);
      if (h[0] !== HANDSHAKE_CLIENT_HELLO) return notTls("the first handshake message is not a ClientHello");
      need = 4 + ((h[1]! << 16) | (h[2]! << 8) | h[3]!);
      if (need > CLIENT_HELLO_MAX) return { kind: "too_big" };
    }
    if (need >= 0 && have >= need) break;
  }
  const msg = (hs.length === 1 ? hs[0]! : concat(hs, have)).subarray(4, need);
  return parseHelloBody(msg);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The ClientHello body (after the handshake header): version, random, session id, suites, ... */
function parseHelloBody(b: Uint8Array): HelloVerdict {
  let p = 2 + 32; // legacy_version, random
  if (p + 1 > b.length) return notTls("a ClientHello cut short");
  p += 1 + b[p]!; // legacy_session_id
  if (p + 2 > b.length) return notTls("a ClientHello cut short");
  p += 2 + ((b[p]! << 8) | b[p + 1]!); // cipher_suites
  if (p + 1 > b.length) return notTls("a ClientHello cut short");
  p += 1 + b[p]!; // legacy_compression_methods
  if (p > b.length) return notTls("a ClientHello cut short");
  if (p === b.length) return { kind: "hello", serverName: undefined, alpn: [] }; // no extensions
  if (p + 2 > b.length) return notTls("a ClientHello cut short");
  const extEnd = p + 2 + ((b[p]! << 8) | b[p + 1]!);
  if (extEnd > b.length) return notTls("extensions longer than the ClientHello");
  p += 2;
  let serverName: string | undefined;
  let alpn: string[] = [];
  while (p < extEnd) {
    if (p + 4 > extEnd) return notTls("an extension header cut short");
    const type = (b[p]! << 8) | b[p + 1]!;
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    p += 4;
    if (p + len > extEnd) return notTls("an extension longer than the extensions");
    const e = b.subarray(p, p + len);
    if (type === EXT_SERVER_NAME) {
      const sn = readServerName(e);
      if (sn === null) return notTls("a malformed server_name extension");
      serverName = sn;
    } else if (type === EXT_ALPN) {
      const a = readAlpn(e);
      if (a === null) return notTls("a malformed ALPN extension");
      alpn = a;
    }
    p += len;
  }
  return { kind: "hello", serverName, alpn };
}

/** server_name: a list of (type, name); the host_name (type 0), lower case; null when malformed. */
function readServerName(e: Uint8Array): string | undefined | null {
  if (e.length < 2) return null;
  const end = 2 + ((e[0]! << 8) | e[1]!);
  if (end > e.length) return null;
  let p = 2;
  let name: string | undefined;
  while (p < end) {
    if (p + 3 > end) return null;
    const type = e[p]!;
    const len = (e[p + 1]! << 8) | e[p + 2]!;
    p += 3;
    if (p + len > end) return null;
    if (type === 0 && name === undefined) {
      if (len === 0 || len > 255) return null;
      let s = "";
      for (let k = p; k < p + len; k++) {
        const c = e[k]!;
        // A DNS name: letters, digits, hyphen, dot, underscore. Anything else is not a name to route.
        const ok =
          (c >= 97 && c <= 122) ||
          (c >= 65 && c <= 90) ||
          (c >= 48 && c <= 57) ||
          c === 45 ||
          c === 46 ||
          c === 95;
        if (!ok) return null;
        s += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
      }
      name = s.endsWith(".") ? s.slice(0, -1) : s;
    }
    p += len;
  }
  return name;
}

function readAlpn(e: Uint8Array): string[] | null {
  if (e.length < 2) return null;
  const end = 2 + ((e[0]! << 8) | e[1]!);
  if (end > e.length) return null;
  const out: string[] = [];
  let p = 2;
  while (p < end) {
    const len = e[p]!;
    if (len === 0 || p + 1 + len > end) return null;
    out.push(String.fromCharCode(...e.subarray(p + 1, p + 1 + len)));
    p += 1 + len;
  }
  return out;
}
