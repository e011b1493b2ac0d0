// TLS on a virtual server's listeners: the options given to Bun.listen, the per-handshake certificate
// choice by SNI, and the handshake's result counted by reason.
//
// Bun.listen takes one certificate per listener; the choice by SNI goes through the `serverName`
// socket handler Bun's own node:tls server uses (Bun 1.4.5, not in bun-types): called in the
// handshake with the client's server name, it returns the native context of node:tls
// createSecureContext(). The certificate of a client without SNI is the listener's own, the first.
// test/tls/termination.test.ts fails if a Bun upgrade drops this.

import { constants } from "node:crypto";
import type { Socket, TLSOptions } from "bun";
import { CertificateStore } from "./certificate-store.ts";
import { type LoadedCertificate, readCertificateEntry } from "./certificates.ts";

/**
 * What this module reads of [virtual_server.tls] (the config's ListenerTlsConfig has this shape):
 * declared here so that core/tls stays below core/config.
 */
export interface ListenerTlsSettings {
  certificates: string[];
  min_version: "1.2" | "1.3";
  alpn: string[];
  loaded?: LoadedCertificate[];
}

/** Protocol versions below the minimum, refused by the stack (BoringSSL) itself. */
function versionOptions(min: "1.2" | "1.3"): number {
  const below12 = constants.SSL_OP_NO_SSLv3 | constants.SSL_OP_NO_TLSv1 | constants.SSL_OP_NO_TLSv1_1;
  return min === "1.3" ? below12 | constants.SSL_OP_NO_TLSv1_2 : below12;
}

/** ALPN protocol list in its wire form: each name prefixed by its length (RFC 7301 3.1). */
export function alpnWire(names: readonly string[]): Buffer {
  return Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([n.length]), Buffer.from(n, "latin1")])));
}

/** The certificates a config names: as the loader read them, else read now (a config built in code). */
export function certificatesOf(cfg: ListenerTlsSettings): LoadedCertificate[] {
  return cfg.loaded && cfg.loaded.length > 0 ? cfg.loaded : cfg.certificates.flatMap(readCertificateEntry);
}

/**
 * Why a handshake failed, as a metric label: the TLS stack's reason (BoringSSL's error name, lower
 * case) or what happened to the connection.
 */
export function handshakeFailure(err: Error | null): string {
  if (!err) return "unknown";
  const m = /OPENSSL_internal:([A-Z0-9_]+)/.exec(err.message);
  if (m) {
    const r = m[1]!;
    switch (r) {
      case "UNSUPPORTED_PROTOCOL":
      case "WRONG_VERSION_NUMBER":
        return "version";
      case "NO_SHARED_CIPHER":
      case "NO_SHARED_GROUP":
        return "no_shared_cipher";
      case "NO_APPLICATION_PROTOCOL":
        return "alpn";
      case "HTTP_REQUEST":
      case "HTTPS_PROXY_REQUEST":
        return "plain_http";
      case "PEER_DID_NOT_RETURN_A_CERTIFICATE":
        return "no_client_certificate";
      default:
        return r.toLowerCase();
    }
  }
  if (/disconnected before secure TLS connection/i.test(err.message)) return "client_closed";
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code.toLowerCase() : "unknown";
}

export class ListenerTls {
  store: CertificateStore;
  readonly cfg: ListenerTlsSettings;

  constructor(cfg: ListenerTlsSettings) {
    this.cfg = cfg;
    this.store = new CertificateStore(certificatesOf(cfg));
  }

  /** The `tls` of Bun.listen: the default certificate, versions, ALPN. */
  options(): TLSOptions {
    const def = this.store.defaultCertificate;
    return {
      cert: def.cert,
      key: def.key,
      secureOptions: versionOptions(this.cfg.min_version),
      ALPNProtocols: alpnWire(this.cfg.alpn),
    };
  }

  /** Whether listeners opened with `other`'s options serve what this one would (reload). */
  sameListener(other: ListenerTls): boolean {
    return (
      other.cfg.min_version === this.cfg.min_version &&
      other.cfg.alpn.join(",") === this.cfg.alpn.join(",") &&
      other.store.defaultCertificate.fingerprint === this.store.defaultCertificate.fingerprint &&
      other.store.defaultCertificate.key === this.store.defaultCertificate.key
    );
  }

  /** The `serverName` handler: the context for this handshake's SNI. */
  contextFor(serverName: string | undefined): object {
    return this.store.contextFor(serverName);
  }
}

/** The server name a terminated connection asked for, or undefined. */
export function serverNameOf(s: Socket<unknown>): string | undefined {
  const n = (s as unknown as { getServername?: () => string | undefined }).getServername?.();
  return typeof n === "string" && n !== "" ? n.toLowerCase() : undefined;
}
