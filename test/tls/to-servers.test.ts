// TLS from tcpvs to a pool's servers ([pool.NAME.tls]) through real listeners and certificates:
// mutual TLS to a server requiring a client certificate, kept-alive connections reused, verify
// refusing a server whose CA is unknown (the client gets 502), sni sent.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { exchange, GET, rig, TestBackend } from "../switch/helpers.ts";
import type { Rig } from "../switch/helpers.ts";
import { missingTools } from "../tools.ts";
import { CertDir } from "./certs.ts";
import { TlsBackend } from "./tls-backend.ts";

const skip = missingTools("TLS to servers tests", "openssl");

/** A rig whose pool "app" is one TLS backend (named like the TestBackend it stands in for). */
async function tlsRig(
  b: TlsBackend,
  tls: NonNullable<import("../../core/config/types.ts").PoolConfig["tls"]>,
): Promise<Rig> {
  const stand = new TestBackend(b.name);
  stand.stop();
  Object.defineProperty(stand, "port", { get: () => b.port });
  return rig({ app: [stand] }, { pool: "app" }, { app: { tls } });
}

describe.skipIf(skip !== undefined)("TLS to servers", () => {
  let certs: CertDir;
  const read = (f: string) => readFileSync(certs.path(f), "utf8");

  beforeAll(() => {
    certs = new CertDir();
    certs.ca("ca");
    certs.ca("other");
    certs.leaf("app", ["app.internal"], "ca");
    certs.leaf("impostor", ["app.internal"], "other");
    certs.leaf("client", ["tcpvs-client"], "ca");
  });

  afterAll(() => certs?.remove());

  test("mutual TLS to a server that requires a client certificate, the connection kept alive and reused", async () => {
    const b = new TlsBackend(
      "app1",
      { cert: read("app.crt"), key: read("app.key") },
      { requireClientCa: read("ca.crt") },
    );
    const r = await tlsRig(b, {
      verify: true,
      ca: certs.path("ca.crt"),
      sni: "app.internal",
      certificate: certs.path("client.pem"),
    });
    try {
      const res = await exchange(r.port, [GET("/one"), GET("/two")], { count: 2 });
      expect(res.responses.map((x) => x.status)).toEqual([200, 200]);
      expect(res.responses[0]!.body).toBe("app1 /one client=tcpvs-client");
      expect(res.responses[1]!.body).toBe("app1 /two client=tcpvs-client");
      const again = await exchange(r.port, GET("/three"));
      expect(again.responses[0]?.status).toBe(200);
      // One TLS connection served all three requests (kept alive between clients), with SNI.
      expect(b.accepts).toBe(1);
      expect(b.requests.map((x) => x.sni)).toEqual(["app.internal", "app.internal", "app.internal"]);
    } finally {
      await r.stop();
      b.stop();
    }
  });

  test("a server requiring a client certificate refuses tcpvs without one: the client gets 502", async () => {
    const b = new TlsBackend(
      "app2",
      { cert: read("app.crt"), key: read("app.key") },
      { requireClientCa: read("ca.crt") },
    );
    const r = await tlsRig(b, { verify: true, ca: certs.path("ca.crt"), sni: "app.internal" });
    try {
      const res = await exchange(r.port, GET("/"));
      expect(res.responses[0]?.status).toBe(502);
      expect(b.requests).toHaveLength(0);
    } finally {
      await r.stop();
      b.stop();
    }
  });

  test("verify = true refuses a server whose CA is unknown: the client gets 502 and the fault names TLS", async () => {
    const b = new TlsBackend("app3", { cert: read("impostor.crt"), key: read("impostor.key") });
    const r = await tlsRig(b, { verify: true, ca: certs.path("ca.crt"), sni: "app.internal" });
    try {
      const res = await exchange(r.port, GET("/"));
      expect(res.responses[0]?.status).toBe(502);
      expect(b.requests).toHaveLength(0);
      expect(r.lines.join("\n")).toContain("TLS:");
    } finally {
      await r.stop();
      b.stop();
    }
  });

  test("verify = false talks to the same server", async () => {
    const b = new TlsBackend("app4", { cert: read("impostor.crt"), key: read("impostor.key") });
    const r = await tlsRig(b, { verify: false, sni: "app.internal" });
    try {
      const res = await exchange(r.port, GET("/x"));
      expect(res.responses[0]?.status).toBe(200);
      expect(res.responses[0]?.body).toBe("app4 /x client=");
    } finally {
      await r.stop();
      b.stop();
    }
  });
});
