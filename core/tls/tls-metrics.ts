// TLS in the Prometheus exposition: handshakes by result (failures by reason, as the switch counts
// them in the cluster's counters) and each listener certificate's expiry time, a gauge alerting can
// compare with time().

import type { LoadedCertificate } from "./certificates.ts";

interface Exposition {
  family(name: string, type: "gauge" | "counter", help: string): void;
  sample(name: string, labels: Record<string, string>, value: number): void;
}

export interface TlsCertificates {
  virtual_server: string;
  certificates: readonly LoadedCertificate[];
}

const OK = "tls.handshake.ok";
const FAILED = "tls.handshake.failed.";

export function renderTlsMetrics(
  o: Exposition,
  counters: ReadonlyMap<string, number>,
  certs: TlsCertificates[],
): void {
  const handshakes: Array<[Record<string, string>, number]> = [];
  for (const [name, v] of counters) {
    if (name === OK) handshakes.push([{ result: "ok", reason: "" }, v]);
    else if (name.startsWith(FAILED))
      handshakes.push([{ result: "failed", reason: name.slice(FAILED.length) }, v]);
  }
  if (handshakes.length > 0) {
    o.family(
      "tcpvs_tls_handshakes_total",
      "counter",
      "TLS handshakes on listeners, by result and failure reason.",
    );
    for (const [labels, v] of handshakes) o.sample("tcpvs_tls_handshakes_total", labels, v);
  }
  if (certs.some((c) => c.certificates.length > 0)) {
    o.family(
      "tcpvs_tls_certificate_expiry_timestamp_seconds",
      "gauge",
      "End of validity of each listener certificate (seconds since the epoch).",
    );
    for (const vs of certs)
      for (const c of vs.certificates)
        o.sample(
          "tcpvs_tls_certificate_expiry_timestamp_seconds",
          { virtual_server: vs.virtual_server, file: c.file, names: c.names.join(",") },
          Math.floor(c.notAfter.getTime() / 1000),
        );
  }
}
