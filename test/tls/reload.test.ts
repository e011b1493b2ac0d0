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
  startServe,
  waitLine,
  writeConfig,
} from "../daemon/harness.ts";
import { CertDir, opensslMissing } from "./certs.ts";
import { req, TlsClient } from "./tls-client.ts";

const skip = opensslMissing("TLS reload tests");

describe.skipIf(skip !== undefined)("SIGHUP reload of certificates", () => {
  let certs: CertDir;
  let ca: string;
  let p: Proc | undefined;
  let backends: Backend[] = [];
  let port = 0;

  beforeAll(async () => {
    certs = new CertDir();
    ca = certs.ca("ca").pem;
    certs.leaf("old", ["site.test"], "ca", { days: 30 });
    certs.leaf("new", ["site.test"], "ca", { days: 60 });
    copyFileSync(certs.path("old.pem"), certs.path("site.pem"));
    backends = [backend("b1")];
    port = freePort();
    const text = configText({
      port,
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
