// The TLS keys: [virtual_server.tls], [pool.NAME.tls] and the rule matcher `sni`; then, once the file
// reads, the certificate files themselves (readTlsFiles), each problem at the key that names the file.

import { describe } from "./values.ts";
import { type Fields, join, type Raw } from "./fields.ts";
import type { Issue } from "./fields.ts";
import type { ListenerTlsConfig, PoolTlsConfig, TcpvsConfig } from "./types.ts";
import {
  CertificateError,
  expiryWarning,
  type LoadedCertificate,
  readCertificateEntry,
  readCertificateFile,
} from "../tls/certificates.ts";
import { readFileSync } from "node:fs";
import { checksOverTls } from "../tls/pool-tls.ts";

const SERVER_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const ALPN_NAME = /^[\x21-\x7e]{1,255}$/;

/** [virtual_server.tls] */
export function readListenerTls(f: Fields, raw: unknown, path: string): ListenerTlsConfig | undefined {
  if (raw === undefined) return undefined;
  const t = f.table(raw, path, ["certificates", "min_version", "alpn"]);
  const certificates = f.strings(t, "certificates", path);
  if (certificates.length === 0)
    f.error(join(path, "certificates"), 'a TLS listener needs certificates = ["/etc/tcpvs/site.pem"]');
  const alpn = t.alpn === undefined ? ["http/1.1"] : f.strings(t, "alpn", path);
  alpn.forEach((a, i) => {
    if (!ALPN_NAME.test(a)) f.error(join(join(path, "alpn"), i), `invalid ALPN protocol name "${a}"`);
  });
  return {
    certificates,
    min_version: f.string(t, "min_version", path, { def: "1.2", oneOf: ["1.2", "1.3"] }),
    alpn,
  };
}

/** [pool.NAME.tls] */
export function readPoolTls(f: Fields, raw: unknown, path: string): PoolTlsConfig | undefined {
  if (raw === undefined) return undefined;
  const t = f.table(raw, path, ["verify", "ca", "sni", "certificate"]);
  const sni = f.optString(t, "sni", path)?.toLowerCase();
  if (sni !== undefined && (sni.startsWith("*.") || !SERVER_NAME.test(sni)))
    f.error(join(path, "sni"), `invalid server name "${sni}": expected a DNS name such as "app.internal"`);
  return {
    verify: f.bool(t, "verify", path, true),
    ca: f.optString(t, "ca", path),
    sni,
    certificate: f.optString(t, "certificate", path),
  };
}

/** The rule matcher `sni`: a name or an array of names, "*.example.com" allowed. */
export function readSniMatcher(f: Fields, t: Raw, path: string): string[] | undefined {
  if (t.sni === undefined) return undefined;
  if (typeof t.sni !== "string" && !Array.isArray(t.sni)) {
    f.error(join(path, "sni"), `expected a server name or an array of them, got ${describe(t.sni)}`);
    return undefined;
  }
  const names = f.strings(t, "sni", path).map((n) => n.toLowerCase());
  names.forEach((n, i) => {
    if (!SERVER_NAME.test(n))
      f.error(
        Array.isArray(t.sni) ? join(join(path, "sni"), i) : join(path, "sni"),
        `invalid server name "${n}": expected "example.com" or "*.example.com"`,
      );
  });
  return names;
}

/** TCP mode rules look at the TLS ClientHello only: any other matcher cannot apply. */
export function checkTcpRules(f: Fields, cfg: TcpvsConfig): void {
  cfg.virtual_server.forEach((vs, i) => {
    if (vs.mode !== "tcp") return;
    vs.rule.forEach((r, j) => {
      const p = join(join(join("virtual_server", i), "rule"), j);
      const http = Object.keys(r).filter(
        (k) => k !== "pool" && k !== "sni" && r[k as keyof typeof r] !== undefined,
      );
      if (http.length > 0)
        f.error(join(p, http[0]!), `a TCP mode rule can match only sni, not "${http[0]}": use mode = "http"`);
      else if (vs.tls !== undefined)
        f.error(
          join(p, "sni"),
          'SNI rules of a TCP mode virtual server route TLS it does not terminate: remove [virtual_server.tls] or use mode = "http"',
        );
    });
  });
}

function certificateProblem(f: Fields, path: string, e: unknown): void {
  if (e instanceof CertificateError) f.error(path, e.message);
  else throw e;
}

/**
 * Read every certificate, key and CA file the config names, keeping what the switch needs; problems
 * are errors at the naming key, certificates ending within 14 days warnings.
 */
export function readTlsFiles(f: Fields, cfg: TcpvsConfig, now = Date.now()): Issue[] {
  const warnings: Issue[] = [];
  cfg.virtual_server.forEach((vs, i) => {
    if (!vs.tls) return;
    const path = join(join("virtual_server", i), "tls");
    const loaded: LoadedCertificate[] = [];
    vs.tls.certificates.forEach((entry, j) => {
      // An element's own position when the value is an array, else the key's (locate falls back).
      const p = join(join(path, "certificates"), j);
      try {
        for (const c of readCertificateEntry(entry)) {
          loaded.push(c);
          const w = expiryWarning(c, now);
          if (w) warnings.push({ path: p, message: w });
        }
      } catch (e) {
        certificateProblem(f, p, e);
      }
    });
    vs.tls.loaded = loaded;
  });
  for (const [name, pool] of Object.entries(cfg.pool)) {
    const tls = pool.tls;
    if (!tls) continue;
    const path = join(join("pool", name), "tls");
    if (!tls.verify)
      warnings.push({
        path: join(path, "verify"),
        message: `TLS to the servers of pool "${name}" is not verified (verify = false)`,
      });
    const loaded: NonNullable<PoolTlsConfig["loaded"]> = {};
    if (tls.ca !== undefined) {
      try {
        const text = readFileSync(tls.ca, "utf8");
        if (!text.includes("-----BEGIN CERTIFICATE-----"))
          f.error(join(path, "ca"), `Cannot use "${tls.ca}": no PEM certificate in it`);
        loaded.ca = text;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        f.error(
          join(path, "ca"),
          `Cannot read CA file "${tls.ca}": ${code === "ENOENT" ? "no such file" : code}`,
        );
      }
    }
    if (tls.certificate !== undefined) {
      try {
        loaded.certificate = readCertificateFile(tls.certificate);
        const w = expiryWarning(loaded.certificate, now);
        if (w) warnings.push({ path: join(path, "certificate"), message: w });
      } catch (e) {
        certificateProblem(f, join(path, "certificate"), e);
      }
    }
    checksOverTls(pool);
    // The files' text is for the switch, not for printing the config.
    Object.defineProperty(tls, "loaded", { value: loaded, enumerable: false, writable: true });
  }
  return warnings;
}
