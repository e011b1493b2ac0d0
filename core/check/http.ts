// HTTP_GET / SSL_GET: one request with the exact method, path, Host and version configured, then the
// status against the accepted ranges, the body against a regex, and the keepalived-style MD5 digest
// (hex MD5 of the whole body). Own request and core/http's response parser instead of fetch, so nothing
// is added or pooled and framing is judged as the switch judges it.

import type { CheckConfig } from "../config/types.ts";
import { responseReader } from "./http-response-reader.ts";
import { ProbeConn, type TlsChoice } from "./probe-conn.ts";
import { poolCheckFiles } from "../tls/pool-tls.ts";
import { CheckFailure, type CheckFn, type CheckTarget, measure } from "./types.ts";

export function statusAccepted(status: number, ranges: Array<[number, number]>): boolean {
  const list = ranges.length > 0 ? ranges : [[200, 299] as [number, number]];
  return list.some(([lo, hi]) => status >= lo && status <= hi);
}

export function md5Hex(body: Uint8Array): string {
  return new Bun.CryptoHasher("md5").update(body).digest("hex");
}

function hostHeader(check: CheckConfig, target: CheckTarget, tls: boolean): string {
  if (check.host) return check.host;
  if (target.kind === "unix") return "localhost";
  // A zone names a link on this host only: it has no meaning to the server, so Host goes without it.
  const bare = target.host.split("%")[0]!;
  const host = target.family === 6 ? `[${bare}]` : bare;
  return target.port === (tls ? 443 : 80) ? host : `${host}:${target.port}`;
}

export function buildRequest(check: CheckConfig, target: CheckTarget, tls: boolean): string {
  const path = check.path.startsWith("/") || check.path === "*" ? check.path : `/${check.path}`;
  return (
    `${check.method} ${path} HTTP/${check.http_version}\r\n` +
    `Host: ${hostHeader(check, target, tls)}\r\n` +
    "User-Agent: tcpvs-check\r\n" +
    "Accept: */*\r\n" +
    "Connection: close\r\n\r\n"
  );
}

function tlsChoice(check: CheckConfig, target: CheckTarget): TlsChoice {
  const bare = check.host?.replace(/:\d+$/, "");
  const fromTarget = target.kind === "inet" && !/^[\d.:]+$/.test(target.host) ? target.host : undefined;
  const choice: TlsChoice = { serverName: check.sni ?? bare ?? fromTarget, verify: check.tls_verify };
  const files = poolCheckFiles(check);
  return files ? { ...choice, ...files } : choice;
}

function compile(source: string, key: string): RegExp {
  try {
    return new RegExp(source);
  } catch {
    throw new CheckFailure(`bad ${key} ${JSON.stringify(source)}: not a regular expression`);
  }
}

export const httpCheck: CheckFn = (check, target) =>
  measure(async () => {
    const tls = check.type === "https";
    const bodyRe = check.body_regex !== undefined ? compile(check.body_regex, "body_regex") : undefined;
    const wantBody = bodyRe !== undefined || check.digest !== undefined;
    const conn = await ProbeConn.open(target, check.timeout, tls ? tlsChoice(check, target) : undefined);
    try {
      conn.write(buildRequest(check, target, tls));
      const res = await conn.read(responseReader(check.method.toUpperCase(), wantBody));
      if (!statusAccepted(res.status, check.status)) return { ok: false, reason: `status ${res.status}` };
      if (bodyRe && !bodyRe.test(new TextDecoder().decode(res.body))) {
        return { ok: false, reason: `body does not match /${bodyRe.source}/` };
      }
      if (check.digest !== undefined) {
        const got = md5Hex(res.body);
        if (got !== check.digest.toLowerCase()) return { ok: false, reason: `digest mismatch (got ${got})` };
      }
      return { ok: true, reason: `status ${res.status}` };
    } finally {
      conn.close();
    }
  });
