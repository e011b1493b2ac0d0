// TLS from tcpvs to a pool's servers ([pool.NAME.tls]): the options of Bun.connect, and the server
// connection's open moved to the end of the handshake (Bun drops what is written before it ends).
//
// Without `ca` the trust store is the system's (/etc/ssl/certs/ca-certificates.crt, Debian's bundle)
// when it exists, else the Mozilla list built into Bun. With verify the server's certificate must
// name `sni` (or, without sni, the address connected to), as Bun's client checks it.

import { existsSync, readFileSync } from "node:fs";
import type { TLSOptions } from "bun";
import { type LoadedCertificate, readCertificateFile } from "./certificates.ts";

/**
 * What this module reads of [pool.NAME.tls] (the config's PoolTlsConfig has this shape): declared here
 * so that core/tls stays below core/config, which reads certificates through it.
 */
export interface PoolTls {
  verify: boolean;
  ca?: string;
  sni?: string;
  certificate?: string;
  loaded?: { ca?: string; certificate?: LoadedCertificate };
}

/** What checksOverTls changes of a check. */
interface TlsCheck {
  type: string;
  sni?: string;
  tls_verify: boolean;
  tls?: boolean;
}

export const SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt";

let systemCa: string | undefined | null = null;
function systemStore(): string | undefined {
  if (systemCa === null) systemCa = existsSync(SYSTEM_CA) ? readFileSync(SYSTEM_CA, "utf8") : undefined;
  return systemCa;
}

/** The `tls` of Bun.connect for one pool (files as the loader read them, else read now). */
export function poolTlsOptions(t: PoolTls): TLSOptions {
  const ca =
    t.loaded?.ca ?? (t.ca !== undefined ? readFileSync(t.ca, "utf8") : t.verify ? systemStore() : undefined);
  const client =
    t.loaded?.certificate ?? (t.certificate !== undefined ? readCertificateFile(t.certificate) : undefined);
  return {
    ca,
    cert: client?.cert,
    key: client?.key,
    serverName: t.sni,
    rejectUnauthorized: t.verify,
  };
}

/** Why a handshake with a server failed, for the server's fault line. */
export function serverHandshakeReason(err: Error | null): string {
  const code = (err as { code?: unknown } | null)?.code;
  const msg = err?.message ?? "handshake failed";
  return `TLS: ${msg}${typeof code === "string" && !msg.includes(code) ? ` (${code})` : ""}`;
}

/** The TLS pool a check belongs to (set by the loader): its files are read at each probe. */
const poolOfCheck = new WeakMap<object, PoolTls>();

/** A TLS pool's check: its CA and client certificate, read at each probe (a renewal is picked up). */
export function poolCheckFiles(check: object): { ca?: string; cert?: string; key?: string } | undefined {
  const t = poolOfCheck.get(check);
  if (!t) return undefined;
  const client = t.certificate ? readCertificateFile(t.certificate) : undefined;
  return { ca: t.ca ? readFileSync(t.ca, "utf8") : undefined, cert: client?.cert, key: client?.key };
}

/**
 * The checks of a TLS pool speak TLS: an http check becomes https, with the pool's sni, CA, client
 * certificate and verify (a check's own sni wins; tls_verify = false on the check stays). A check
 * with `tls = false` stays plain (a health endpoint on a plain port, HAProxy's no-check-ssl).
 */
export function checksOverTls(pool: { tls?: PoolTls; check: TlsCheck[] }): void {
  const t = pool.tls;
  if (!t) return;
  for (const c of pool.check) {
    if ((c.type !== "http" && c.type !== "https") || c.tls === false) continue;
    c.type = "https";
    c.sni ??= t.sni;
    c.tls_verify = c.tls_verify && t.verify;
    poolOfCheck.set(c, t);
  }
}
