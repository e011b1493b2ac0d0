// SIGHUP reads certificates again: new handshakes (with SNI or without) get the new certificate while an
// established keep-alive connection goes on; a broken certificate refuses the whole reload and the
// running one keeps serving. A real daemon (tcpvs serve) with real certificates.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import {
  type Backend,
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  type Proc,
  runTcpvs,
  startServe,
  waitLine,
  writeConfig,
} from "../daemon/harness.ts";
import { missingTools } from "../tools.ts";
import { CertDir } from "./certs.ts";
import { req, TlsClient } from "./tls-client.ts";

const skip = missingTools("TLS reload tests", "openssl");

describe.skipIf(skip !== undefined)("SIGHUP reload of certificates", () => {
  let certs: CertDir;
  let ca: string;
  let p: Proc | undefined;
  let backends: Backend[] = [];
  let port = 0;
  let metricsPort = 0;

  beforeAll(async () => {
    certs = new CertDir();
    ca = certs.ca("ca").pem;
    certs.leaf("old", ["site.test"], "ca", { days: 30 });
    certs.leaf("new", ["site.test"], "ca", { days: 60 });
    copyFileSync(certs.path("old.pem"), certs.path("site.pem"));
    backends = [backend("b1")];
    port = freePort();
    metricsPort = freePort();
    const text = configText({
      port,
      metricsPort,
      control: `unix:${certs.dir}/control.sock`,
      backends,
      checkInterval: "5s",
      vsExtra: `  [virtual_server.tls]\n  certificates = ["${certs.path("site.pem")}"]\n`,
    });
    p = await startServe(writeConfig(certs.dir, text));
  });

  afterAll(async () => {
    if (p) {
      p.proc.kill("SIGTERM");
      await exitWithin(p, 8000);
    }
    killIfRunning(p);
    for (const b of backends) b.stop();
    certs?.remove();
  });

  test("status lists the listener's certificates with names and days left; metrics count handshakes and give expiry", async () => {
    const c = await new TlsClient().connect(port, { serverName: "site.test", ca });
    c.close();
    await new TlsClient().connect(port, { serverName: "site.test", alpn: ["h2"] });
    const st = await runTcpvs(["status", "--control", `unix:${certs.dir}/control.sock`]);
    expect(st.code).toBe(0);
    expect(st.out).toMatch(/listen {2}web {2}http\+tls/);
    expect(st.out).toMatch(
      /certificate {2}site\.test {2}(29|30) days left \(\d{4}-\d\d-\d\d\) {2}.*site\.pem/,
    );
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toContain('tcpvs_tls_handshakes_total{result="ok",reason=""}');
    expect(text).toContain('tcpvs_tls_handshakes_total{result="failed",reason="alpn"} 1');
    const expiry =
      /tcpvs_tls_certificate_expiry_timestamp_seconds\{virtual_server="web",file="[^"]+site\.pem",names="site\.test"\} (\d+)/.exec(
        text,
      );
    expect(Number(expiry?.[1]) * 1000 - Date.now()).toBeGreaterThan(29 * 86_400_000);
  });

  test("the certificate replaced by SIGHUP while a keep-alive connection stays up", async () => {
    const kept = await new TlsClient().connect(port, { serverName: "site.test", ca });
    const oldEnd = kept.peerValidTo;
    expect((await kept.request(req("site.test", "/before")))?.status).toBe(200);

    copyFileSync(certs.path("new.pem"), certs.path("site.pem"));
    const from = p!.lines.length;
    p!.proc.kill("SIGHUP");
    await waitLine(p!, /config reloaded/, 5000, from);

    const fresh = await new TlsClient().connect(port, { serverName: "site.test", ca });
    expect(fresh.peerValidTo).not.toBe(oldEnd);
    expect((await fresh.request(req("site.test", "/fresh")))?.status).toBe(200);
    fresh.close();
    const noSni = await new TlsClient().connect(port);
    expect(noSni.peerValidTo).toBe(fresh.peerValidTo);
    noSni.close();

    // The connection made before the reload goes on, with its handshake's certificate.
    expect(kept.closed).toBe(false);
    expect((await kept.request(req("site.test", "/after")))?.status).toBe(200);
    kept.close();
  });

  test("a broken certificate refuses the whole reload; the running certificate keeps serving", async () => {
    const before = await new TlsClient().connect(port, { serverName: "site.test", ca });
    before.close();
    // The old certificate with the new one's key: a mismatch.
    const mismatch =
      readFileSync(certs.path("old.crt"), "utf8") + readFileSync(certs.path("new.key"), "utf8");
    writeFileSync(certs.path("site.pem"), mismatch);
    const from = p!.lines.length;
    p!.proc.kill("SIGHUP");
    await waitLine(p!, /reload refused/, 5000, from);
    expect(p!.lines.slice(from).join("\n")).toContain("does not match its certificate");
    const after = await new TlsClient().connect(port, { serverName: "site.test", ca });
    expect(after.handshakeError).toBeUndefined();
    expect(after.peerValidTo).toBe(before.peerValidTo);
    expect((await after.request(req("site.test", "/still")))?.status).toBe(200);
    after.close();
  });
});
