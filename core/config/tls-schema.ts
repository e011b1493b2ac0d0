// The TLS keys, described once (see schema-kit.ts): [virtual_server.tls], [pool.NAME.tls] and the rule
// matcher `sni`; then, once the file reads, the certificate files themselves (readTlsFiles), each
// problem at the key that names the file.

import { readFileSync } from "node:fs";
import {
  CertificateError,
  expiryWarning,
  type LoadedCertificate,
  readCertificateEntry,
  readCertificateFile,
} from "../tls/certificates.ts";
import { checksOverTls } from "../tls/pool-tls.ts";
import { type Fields, type Issue, join } from "./fields.ts";
import { type Infer, readSection, section } from "./schema-kit.ts";
import { k } from "./schema-keys.ts";
import type { TcpvsConfig } from "./types.ts";

const SERVER_NAME =
  /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*$/;
const ALPN_NAME = /^[\x21-\x7e]{1,255}$/;

export const listenerTlsSection = section("virtual_server.tls", {
  certificates: k.strings({
    doc: "PEM files, each holding the certificate chain (leaf first) and its private key (HAProxy's `crt` convention), or directories, from which every `*.pem` is loaded in name order. The first certificate is the default",
    type: "path or array",
    required: true,
    def: () => [],
  }),
  min_version: k.string({
    doc: 'lowest TLS version accepted: `"1.2"` or `"1.3"`; older ones are always refused',
    oneOf: ["1.2", "1.3"],
    def: "1.2",
  }),
  alpn: k.strings({
    doc: "protocols offered in ALPN; a client that offers ALPN but none of these fails the handshake, one that offers none is served",
    type: "array of strings",
    def: () => ["http/1.1"],
    defaultText: '`["http/1.1"]`',
    each: (f, a, p) => {
      if (ALPN_NAME.test(a)) return a;
      f.error(p, `invalid ALPN protocol name "${a}"`);
      return undefined;
    },
  }),
});

export const poolTlsSection = section(
  "pool.NAME.tls",
  {
    verify: k.bool({
      doc: "check the server's certificate chain, and that it names `sni` (or the address connected to); `false` is allowed and is a warning at load",
      def: true,
    }),
    ca: k.string({
      type: "path",
      doc: "PEM CA bundle to trust; without it, `/etc/ssl/certs/ca-certificates.crt` when it exists, else the Mozilla list built into Bun",
      defaultText: "the system store",
    }),
    sni: k.string({
      doc: "server name sent in the handshake and checked against the certificate",
      map: (s) => s.toLowerCase(),
    }),
    certificate: k.string({
      type: "path",
      doc: "client certificate and its key in one PEM file (mutual TLS)",
    }),
  },
  [
    (t, at) => {
      if (t.sni !== undefined && (t.sni.startsWith("*.") || !SERVER_NAME.test(t.sni)))
        at("sni", `invalid server name "${t.sni}": expected a DNS name such as "app.internal"`);
    },
  ],
);

/** [virtual_server.tls] as the switch reads it: the keys, and the certificates the loader read. */
export type ListenerTlsConfig = Infer<(typeof listenerTlsSection)["keys"]> & { loaded?: LoadedCertificate[] };
/** [pool.NAME.tls], and the files the loader read (not printed). */
export type PoolTlsConfig = Infer<(typeof poolTlsSection)["keys"]> & {
  loaded?: { ca?: string; certificate?: LoadedCertificate };
};

/** `tls` of a virtual server: absent means plain. */
export const listenerTlsKey = k.custom({
  doc: "terminate TLS on the listeners: see [below](#virtual_servertls)",
  type: "table",
  read: (f, v, p): ListenerTlsConfig => readSection(f, listenerTlsSection, v, p),
});

/** `tls` of a pool: absent means plain TCP to the servers. */
export const poolTlsKey = k.custom({
  doc: "speak TLS to the servers: see [below](#poolnametls)",
  type: "table",
  read: (f, v, p): PoolTlsConfig => readSection(f, poolTlsSection, v, p),
});

/** The rule matcher `sni`. */
export const sniKey = k.strings({
  doc: 'the TLS server name (SNI), exactly or `"*.example.com"` (any subdomain), case-insensitive. HTTP mode: the name of the handshake tcpvs terminated. TCP mode without `tls`: the name in the ClientHello (SNI passthrough); a TCP mode rule may use only `sni`',
  each: (f, n, p) => {
    const s = n.toLowerCase();
    if (SERVER_NAME.test(s)) return s;
    f.error(p, `invalid server name "${n}": expected "example.com" or "*.example.com"`);
    return undefined;
  },
});

/** TCP mode rules look at the TLS ClientHello only: any other matcher cannot apply. */
export function checkTcpRules(
  cfg: Pick<TcpvsConfig, "virtual_server">,
  at: (path: string, message: string) => void,
): void {
  cfg.virtual_server.forEach((vs, i) => {
    if (vs.mode !== "tcp") return;
    vs.rule.forEach((r, j) => {
      const p = `virtual_server[${i}].rule[${j}]`;
      const other = Object.keys(r).filter(
        (x) => x !== "pool" && x !== "sni" && r[x as keyof typeof r] !== undefined,
      );
      if (other.length > 0)
        at(`${p}.${other[0]}`, `a TCP mode rule can match only sni, not "${other[0]}": use mode = "http"`);
      else if (vs.tls !== undefined)
        at(
          `${p}.sni`,
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
    if (!tls) {
      pool.check.forEach((c, i) => {
        if (c.tls === true && c.type === "http")
          f.error(
            join(join(join(join("pool", name), "check"), i), "tls"),
            `a check of pool "${name}", which has no [pool.${name}.tls], cannot borrow its TLS: use type = "https"`,
          );
      });
      continue;
    }
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
