// Certificates for the TLS tests, made by openssl in a temporary directory: a test CA, and ECDSA
// P-256 leaf certificates signed by it, each written as one PEM file holding chain and key (the
// `certificates` convention). Each suite using it skips, with the reason printed, when openssl is
// missing (missingTools in the suite).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missingTools } from "../tools.ts";

function run(args: string[], cwd: string): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr.toString()}`);
}

export class CertDir {
  readonly dir: string;

  constructor() {
    // Suites skip before they get here; this names the missing command should one forget.
    const missing = missingTools("test/tls/certs.ts", "openssl");
    if (missing) throw new Error(missing);
    this.dir = mkdtempSync(join(tmpdir(), "tcpvs-tls-"));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** A self-signed CA: NAME.crt and NAME.key. */
  ca(name: string): { crt: string; key: string; pem: string } {
    run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], this.dir);
    run(
      [
        "req",
        "-x509",
        "-new",
        "-key",
        `${name}.key`,
        "-subj",
        `/CN=${name}`,
        "-days",
        "30",
        "-out",
        `${name}.crt`,
      ],
      this.dir,
    );
    return {
      crt: this.path(`${name}.crt`),
      key: this.path(`${name}.key`),
      pem: readFileSync(this.path(`${name}.crt`), "utf8"),
    };
  }

  /**
   * A leaf for `names` (DNS SANs; "IP:..." entries as IP SANs) signed by `ca`, written as NAME.pem
   * (certificate then key) and also NAME.crt / NAME.key.
   */
  leaf(name: string, names: string[], ca: string, opts: { days?: number; sub?: string } = {}): string {
    const d = opts.sub ? join(this.dir, opts.sub) : this.dir;
    if (opts.sub) mkdirSync(d, { recursive: true });
    run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], d);
    run(["req", "-new", "-key", `${name}.key`, "-subj", `/CN=${names[0]}`, "-out", `${name}.csr`], d);
    const san = names.map((n) => (n.startsWith("IP:") ? n : `DNS:${n}`)).join(",");
    writeFileSync(join(d, `${name}.ext`), `subjectAltName=${san}\n`);
    run(
      [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        this.path(`${ca}.crt`),
        "-CAkey",
        this.path(`${ca}.key`),
        "-CAcreateserial",
        "-days",
        String(opts.days ?? 30),
        "-extfile",
        `${name}.ext`,
        "-out",
        `${name}.crt`,
      ],
      d,
    );
    const pem = join(d, `${name}.pem`);
    writeFileSync(
      pem,
      readFileSync(join(d, `${name}.crt`), "utf8") + readFileSync(join(d, `${name}.key`), "utf8"),
    );
    rmSync(join(d, `${name}.csr`));
    rmSync(join(d, `${name}.ext`));
    return pem;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
