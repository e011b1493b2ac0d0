// The certificates of one TLS listener, indexed for the SNI lookup done in each handshake: exact SAN
// names first, then a wildcard one label up ("*.example.com" covers "a.example.com", not
// "a.b.example.com" nor "example.com"); no match, or no SNI, gets the first certificate.

import { createSecureContext } from "node:tls";
import type { LoadedCertificate } from "./certificates.ts";

/** Bun's native secure context, the `.context` of node:tls createSecureContext(). */
export type NativeContext = object;

export class CertificateStore {
  readonly certs: LoadedCertificate[];
  private readonly exact = new Map<string, number>();
  private readonly wild = new Map<string, number>();
  private readonly contexts: Array<NativeContext | undefined>;

  constructor(certs: LoadedCertificate[]) {
    if (certs.length === 0) throw new Error("a certificate store needs at least one certificate");
    this.certs = certs;
    this.contexts = new Array(certs.length);
    // The first certificate naming a host wins, as the entries are listed.
    certs.forEach((c, i) => {
      for (const n of c.names) {
        const m = n.startsWith("*.") ? this.wild : this.exact;
        const k = n.startsWith("*.") ? n.slice(2) : n;
        if (!m.has(k)) m.set(k, i);
      }
    });
  }

  get defaultCertificate(): LoadedCertificate {
    return this.certs[0]!;
  }

  /** Index of the certificate for a server name (SNI), or 0, the default. */
  indexFor(serverName: string | undefined): number {
    if (!serverName) return 0;
    const n = serverName.toLowerCase().replace(/\.$/, "");
    const hit = this.exact.get(n);
    if (hit !== undefined) return hit;
    const dot = n.indexOf(".");
    if (dot > 0) {
      const w = this.wild.get(n.slice(dot + 1));
      if (w !== undefined) return w;
    }
    return 0;
  }

  /** The native context for the handshake's SNI (built once per certificate). */
  contextFor(serverName: string | undefined): NativeContext {
    const i = this.indexFor(serverName);
    let ctx = this.contexts[i];
    if (ctx === undefined) {
      const c = this.certs[i]!;
      ctx = (createSecureContext({ cert: c.cert, key: c.key }) as unknown as { context: NativeContext })
        .context;
      this.contexts[i] = ctx;
    }
    return ctx;
  }

  /** Same certificates (by fingerprint, in order): a reload that changed nothing here. */
  sameAs(other: CertificateStore): boolean {
    return (
      other.certs.length === this.certs.length &&
      other.certs.every(
        (c, i) => c.fingerprint === this.certs[i]!.fingerprint && c.key === this.certs[i]!.key,
      )
    );
  }
}
