// tcpvs config check reads every certificate a config names: a missing file, a file that is not PEM,
// one without its key, a key that does not match its certificate are errors at the key's line; a
// certificate ending within 14 days is a warning with its names and date; the printed config lists
// each certificate's names and expiry, never a key. The checks of a TLS pool speak TLS unless
// `tls = false` keeps one plain.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { ConfigError, type ConfigProblem, parseConfig } from "../../core/config/load.ts";
import { httpCheck } from "../../core/check/http.ts";
import { runOneCheck } from "../../core/check/registry.ts";
import { TestBackend } from "../switch/helpers.ts";
import { missingTools } from "../tools.ts";
import { CertDir } from "./certs.ts";
import { TlsBackend } from "./tls-backend.ts";

const skip = missingTools("TLS config check tests", "openssl");

function problems(text: string): string[] {
  try {
    parseConfig(text, "t.toml");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

const config = (certLines: string, poolTls = "") => `[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8443"]
pool = "app"
  [virtual_server.tls]
${certLines}

[pool.app]
  [[pool.app.server]]
  address = "127.0.0.1:9000"
${poolTls}`;

describe.skipIf(skip !== undefined)("config check reads certificates", () => {
  let certs: CertDir;

  beforeAll(() => {
    certs = new CertDir();
    certs.ca("ca");
    certs.leaf("a", ["a.test", "*.a.test"], "ca");
    certs.leaf("b", ["b.test"], "ca");
    certs.leaf("soon", ["soon.test"], "ca", { days: 5 });
    writeFileSync(
      certs.path("mismatch.pem"),
      readFileSync(certs.path("a.crt"), "utf8") + readFileSync(certs.path("b.key"), "utf8"),
    );
    writeFileSync(certs.path("nokey.pem"), readFileSync(certs.path("a.crt"), "utf8"));
    writeFileSync(certs.path("text.pem"), "not a certificate\n");
  });

  afterAll(() => certs?.remove());

  test("a key that does not match its certificate is an error at the key's line, naming the file", () => {
    const text = config(
      `  certificates = [\n    "${certs.path("a.pem")}",\n    "${certs.path("mismatch.pem")}",\n  ]`,
    );
    const p = problems(text);
    expect(p).toHaveLength(1);
    expect(p[0]).toStartWith("8 virtual_server[0].tls.certificates[1]: ");
    expect(p[0]).toContain(`"${certs.path("mismatch.pem")}": its private key does not match its certificate`);
  });

  test("a missing file, a file that is not PEM, one without a key: each an error at its key", () => {
    const text = config(
      `  certificates = ["${certs.path("gone.pem")}", "${certs.path("text.pem")}", "${certs.path("nokey.pem")}"]`,
      `  [pool.app.tls]\n  ca = "${certs.path("nothere.crt")}"\n  certificate = "${certs.path("nokey.pem")}"\n`,
    );
    const p = problems(text);
    expect(p).toEqual([
      expect.stringContaining(
        `6 virtual_server[0].tls.certificates[0]: Cannot read certificate "${certs.path("gone.pem")}": no such file`,
      ),
      expect.stringContaining("6 virtual_server[0].tls.certificates[1]: Cannot use") as unknown as string,
      expect.stringContaining("6 virtual_server[0].tls.certificates[2]: Cannot use") as unknown as string,
      expect.stringContaining(`12 pool.app.tls.ca: Cannot read CA file`) as unknown as string,
      expect.stringContaining("13 pool.app.tls.certificate: Cannot use") as unknown as string,
    ]);
    expect(p[1]).toContain("no PEM certificate");
    expect(p[2]).toContain("no private key");
  });

  test("a certificate expiring within 14 days is a warning with its names and date; the config lists names and expiry, no key", () => {
    const warnings: ConfigProblem[] = [];
    const cfg = parseConfig(
      config(`  certificates = ["${certs.path("a.pem")}", "${certs.path("soon.pem")}"]`),
      "t.toml",
      warnings,
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.line).toBe(6);
    expect(warnings[0]!.message).toMatch(/soon\.test\) expires on \d{4}-\d\d-\d\dT.*, in [45] days/);
    const json = JSON.parse(JSON.stringify(cfg));
    const loaded = json.virtual_server[0].tls.loaded;
    expect(loaded.map((c: { names: string[] }) => c.names)).toEqual([["a.test", "*.a.test"], ["soon.test"]]);
    expect(loaded[1].days_left).toBeLessThan(6);
    expect(loaded[0].not_after).toMatch(/^\d{4}-/);
    expect(JSON.stringify(cfg)).not.toContain("PRIVATE KEY");
  });

  test("the http check of a TLS pool runs over TLS with the pool's CA, sni and client certificate", async () => {
    const b = new TlsBackend(
      "app",
      { cert: readFileSync(certs.path("a.crt"), "utf8"), key: readFileSync(certs.path("a.key"), "utf8") },
      { requireClientCa: readFileSync(certs.path("ca.crt"), "utf8") },
    );
    try {
      const poolTls = `  [pool.app.tls]\n  ca = "${certs.path("ca.crt")}"\n  sni = "x.a.test"\n  certificate = "${certs.path("b.pem")}"\n  [[pool.app.check]]\n  type = "http"\n  interval = "2s"\n`;
      const cfg = parseConfig(config(`  certificates = ["${certs.path("a.pem")}"]`, poolTls), "t.toml");
      const check = cfg.pool.app!.check[0]!;
      expect(check.type).toBe("https");
      const out = await httpCheck(check, {
        kind: "inet",
        host: "127.0.0.1",
        port: b.port,
        family: 4,
        text: "",
      });
      expect(out).toMatchObject({ ok: true, reason: "status 200" });
      expect(b.requests[0]).toMatchObject({ clientCN: "b.test", sni: "x.a.test" });
    } finally {
      b.stop();
    }
  });

  test("tls = false keeps a TLS pool's check plain: the health endpoint on another, plain port answers; the default check of the same pool speaks TLS", async () => {
    const tlsServer = new TlsBackend("app", {
      cert: readFileSync(certs.path("a.crt"), "utf8"),
      key: readFileSync(certs.path("a.key"), "utf8"),
    });
    const health = new TestBackend("health");
    try {
      const checks = `  [pool.app.tls]\n  ca = "${certs.path("ca.crt")}"\n  sni = "x.a.test"\n  [[pool.app.check]]\n  type = "http"\n  path = "/healthz"\n  port = ${health.port}\n  tls = false\n  [[pool.app.check]]\n  type = "http"\n  path = "/healthz"\n  port = ${health.port}\n`;
      const cfg = parseConfig(config(`  certificates = ["${certs.path("a.pem")}"]`, checks), "t.toml");
      const [plain, overTls] = cfg.pool.app!.check;
      expect(plain!.type).toBe("http");
      expect(overTls!.type).toBe("https");
      // The server's own port is the TLS one; the checks go to the plain health port.
      const server = { kind: "inet", host: "127.0.0.1", port: tlsServer.port, family: 4, text: "" } as const;
      expect(await runOneCheck(plain!, server)).toMatchObject({ ok: true, reason: "status 200" });
      expect(health.requests.map((r) => r.target)).toEqual(["/healthz"]);
      // Without the opt-out the same check speaks TLS to the plain port and fails, sending no request.
      const failed = await runOneCheck(overTls!, server);
      expect(failed.ok).toBe(false);
      expect(health.requests).toHaveLength(1);
      expect(tlsServer.requests).toHaveLength(0);
    } finally {
      health.stop();
      tlsServer.stop();
    }
  });

  test("tls = false on an https check, tls = true on a plain pool's check: errors at the key", () => {
    const p = problems(
      config(
        `  certificates = ["${certs.path("a.pem")}"]`,
        `  [[pool.app.check]]\n  type = "https"\n  tls = false\n  [pool.plain]\n  [[pool.plain.server]]\n  address = "127.0.0.1:9001"\n  [[pool.plain.check]]\n  type = "http"\n  tls = true\n`,
      ),
    );
    expect(p).toEqual([
      expect.stringContaining('13 pool.app.check[0].tls: an "https" check speaks TLS') as unknown as string,
      expect.stringContaining(
        '19 pool.plain.check[0].tls: a check of pool "plain", which has no [pool.plain.tls], cannot borrow its TLS',
      ) as unknown as string,
    ]);
  });
});
