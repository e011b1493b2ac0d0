// The operator's certificates: PEM files holding a chain and its private key (HAProxy's `crt`
// convention) or directories of such files, read and checked (PEM, a key, the key matching the
// certificate), then indexed by the names a client may ask for in SNI. Nothing here generates or
// fetches a certificate.

import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { TcpvsError } from "../errors/tcpvs-error.ts";

export type CertificateErrorCode =
  | "certificate_unreadable"
  | "certificate_not_pem"
  | "certificate_no_key"
  | "certificate_key_mismatch";

export class CertificateError extends TcpvsError {
  declare readonly code: CertificateErrorCode;
  constructor(code: CertificateErrorCode, message: string) {
    super(code, message);
    this.name = "CertificateError";
  }
}

/** A warning is due when a certificate ends within this many days (or has ended). */
export const EXPIRY_WARN_DAYS = 14;
const DAY_MS = 86_400_000;

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

/** One certificate chain with its key, as read from one PEM file. */
export class LoadedCertificate {
  readonly file: string;
  /** The leaf's SAN DNS names (lower case, wildcards as "*.example.com"); its CN when it has none. */
  readonly names: string[];
  readonly notAfter: Date;
  /** PEM text of the chain (leaf first) and of the key: what the TLS stack is given. */
  readonly cert: string;
  readonly key: string;
  readonly fingerprint: string;

  constructor(file: string, names: string[], notAfter: Date, cert: string, key: string, fp: string) {
    this.file = file;
    this.names = names;
    this.notAfter = notAfter;
    this.cert = cert;
    this.key = key;
    this.fingerprint = fp;
  }

  daysLeft(now = Date.now()): number {
    return Math.floor((this.notAfter.getTime() - now) / DAY_MS);
  }

  /** What `config check --json` and status show: never the key. */
  toJSON(): { file: string; names: string[]; not_after: string; days_left: number } {
    return {
      file: this.file,
      names: this.names,
      not_after: this.notAfter.toISOString(),
      days_left: this.daysLeft(),
    };
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String(code);
    throw new CertificateError("certificate_unreadable", `Cannot read certificate "${file}": ${why}`);
  }
}

function dnsNames(x: X509Certificate): string[] {
  const san = x.subjectAltName;
  const names: string[] = [];
  if (san) {
    for (const part of san.split(",")) {
      const t = part.trim();
      if (t.startsWith("DNS:")) names.push(t.slice(4).toLowerCase());
    }
  }
  if (names.length === 0) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
    if (cn) names.push(cn.trim().toLowerCase());
  }
  return names;
}

/** Read and check one PEM file: a chain and the private key of its first certificate. */
export function readCertificateFile(file: string, passphrase?: string): LoadedCertificate {
  const text = readText(file);
  const certs = text.match(CERT_BLOCK) ?? [];
  if (certs.length === 0)
    throw new CertificateError(
      "certificate_not_pem",
      `Cannot use "${file}": no PEM certificate in it (expected "-----BEGIN CERTIFICATE-----")`,
    );
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certs[0]!);
  } catch (e) {
    throw new CertificateError(
      "certificate_not_pem",
      `Cannot parse the certificate in "${file}": ${(e as Error).message}`,
    );
  }
  const keyPem = KEY_BLOCK.exec(text)?.[0];
  if (keyPem === undefined)
    throw new CertificateError(
      "certificate_no_key",
      `Cannot use "${file}": no private key in it; append the key to the chain in the same file`,
    );
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, passphrase });
  } catch (e) {
    throw new CertificateError(
      "certificate_no_key",
      `Cannot parse the private key in "${file}": ${(e as Error).message}`,
    );
  }
  if (!leaf.checkPrivateKey(key))
    throw new CertificateError(
      "certificate_key_mismatch",
      `Cannot use "${file}": its private key does not match its certificate (${leaf.subject.replace(/\n/g, ", ")})`,
    );
  return new LoadedCertificate(
    file,
    dnsNames(leaf),
    new Date(leaf.validTo),
    certs.join("\n"),
    keyPem,
    leaf.fingerprint256,
  );
}

/** One `certificates` entry: a file, or every `*.pem` in a directory (by name order). */
export function readCertificateEntry(entry: string): LoadedCertificate[] {
  let dir = false;
  try {
    dir = statSync(entry).isDirectory();
  } catch {
    // readCertificateFile names the problem.
  }
  if (!dir) return [readCertificateFile(entry)];
  const files = readdirSync(entry)
    .filter((n) => n.endsWith(".pem"))
    .sort();
  if (files.length === 0)
    throw new CertificateError(
      "certificate_unreadable",
      `Cannot use directory "${entry}": no *.pem file in it`,
    );
  return files.map((n) => readCertificateFile(join(entry, n)));
}

/** Whether a certificate expires within EXPIRY_WARN_DAYS (or has expired): the warning's text. */
export function expiryWarning(c: LoadedCertificate, now = Date.now()): string | undefined {
  const days = c.daysLeft(now);
  if (days >= EXPIRY_WARN_DAYS) return undefined;
  const when = c.notAfter.toISOString();
  const names = c.names.join(", ");
  return days < 0 || c.notAfter.getTime() <= now
    ? `certificate "${c.file}" (${names}) expired on ${when}; renew it`
    : `certificate "${c.file}" (${names}) expires on ${when}, in ${days} days; renew it`;
}
