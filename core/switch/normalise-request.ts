// The parts of a legal request head that a server further on could read differently from the switch,
// settled once, before routing, so that rules, logs and the server all see one message (issue 13):
//
// - An absolute-form target (`GET http://a.test/x HTTP/1.1`). RFC 9112 3.2.2: its authority wins over
//   the Host field. The switch routes on it and, as an inbound gateway (RFC 9112 3.2.1), forwards the
//   origin-form (`/x`) with `Host: a.test`. Rejecting a Host that differs would also be correct, but
//   absolute-form is legal and clients behind a forward proxy send it; rewriting leaves one reading
//   and refuses nothing a server must accept.
// - Upgrade. Only the protocols the virtual server's `upgrade_protocols` lists go on; with none left
//   the request goes on as an ordinary one (Connection and what it names, HTTP2-Settings with h2c,
//   are hop-by-hop and dropped by the rewrite), so a 101 to it is a broken server (502), not a tunnel
//   that would carry bytes past the parser and the rules (h2c smuggling).

import type { RequestHead, ResponseHead } from "../http/head.ts";

/**
 * Settle an absolute-form target and an Upgrade in `req`, in place. The caller skips it for an
 * origin-form request without Upgrade (the common case costs nothing). `upgradeProtocols`: lower case.
 */
export function normaliseRequest(req: RequestHead, upgradeProtocols: readonly string[]): void {
  const t0 = req.target.charCodeAt(0);
  if (t0 !== 47 /* / */ && t0 !== 42 /* * */) toOriginForm(req);
  if (req.upgrade !== undefined) allowUpgrade(req, upgradeProtocols);
}

function toOriginForm(req: RequestHead): void {
  // The parser let only http:// or https:// with a valid, non-empty authority through to here, and
  // put that authority (lower-cased) in req.host.
  const t = req.target;
  let e = t.indexOf("//") + 2;
  for (; e < t.length; e++) {
    const c = t.charCodeAt(e);
    if (c === 47 || c === 63 /* ? */ || c === 35 /* # */) break;
  }
  const rest = t.slice(e);
  if (rest.charCodeAt(0) === 47) req.target = rest;
  // RFC 9112 3.2.4: OPTIONS to an empty path without a query is a server-wide OPTIONS.
  else if (rest === "" && req.method === "OPTIONS") req.target = "*";
  else req.target = `/${rest}`;
  // The parser refused a second Host, so there is at most one to replace.
  const i = req.names.indexOf("host");
  if (i >= 0) req.values[i] = req.host;
  else {
    req.names.unshift("host");
    req.values.unshift(req.host);
  }
  req.normalised = true;
}

/** "websocket" of "WebSocket" or "websocket/13": what upgrade_protocols names. */
function protocolName(p: string): string {
  const slash = p.indexOf("/");
  return (slash < 0 ? p : p.slice(0, slash)).trim().toLowerCase();
}

function allowUpgrade(req: RequestHead, allowed: readonly string[]): void {
  const names = req.names;
  const values = req.values;
  let kept = "";
  let at = -1;
  let w = 0;
  for (let i = 0; i < names.length; i++) {
    if (names[i] === "upgrade") {
      for (const part of values[i]!.split(",")) {
        const p = part.trim();
        if (p !== "" && allowed.includes(protocolName(p))) kept = kept === "" ? p : `${kept}, ${p}`;
      }
      // Every Upgrade field folds into the first: the server sees one list, the one filtered here.
      if (at >= 0) continue;
      at = w;
    }
    names[w] = names[i]!;
    values[w] = values[i]!;
    w++;
  }
  names.length = w;
  values.length = w;
  req.normalised = true;
  if (kept === "") {
    req.upgrade = undefined;
    names.splice(at, 1);
    values.splice(at, 1);
    return;
  }
  values[at] = kept;
  req.upgrade = kept.toLowerCase();
}

/**
 * Whether a 101 may open a tunnel for `req`: the request still asks to upgrade and the server names,
 * in its Upgrade field (RFC 9110 15.2.2: it must), only protocols the request offered.
 */
export function upgradeAccepted(res: ResponseHead, req: RequestHead): boolean {
  const asked = req.upgrade;
  if (asked === undefined) return false;
  const offered = asked.split(",").map(protocolName);
  let named = false;
  for (let i = 0; i < res.names.length; i++) {
    if (res.names[i] !== "upgrade") continue;
    for (const part of res.values[i]!.split(",")) {
      if (part.trim() === "") continue;
      if (!offered.includes(protocolName(part))) return false;
      named = true;
    }
  }
  return named;
}
