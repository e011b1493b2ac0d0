// The record of one finished request: always into the metrics (responses by status, latency per
// pool), and as an `access` log line when the virtual server asks for one.

import type { RequestHead } from "../http/head.ts";
import type { VsRuntime } from "./runtime.ts";

/**
 * `started` is the coarse clock (ms) when the head arrived, `t0` the fine one (performance.now());
 * `server` the id of the server that answered, when one did.
 */
export function accessLog(
  rt: VsRuntime,
  req: RequestHead,
  client: string,
  pool: string | undefined,
  server: string | undefined,
  status: number,
  started: number,
  t0: number,
  /** Why tcpvs answered itself (the code in its error body), when it did. */
  code?: string,
): void {
  const svc = rt.svc;
  svc.observe?.(rt.cfg.name, pool, status, (performance.now() - t0) / 1000);
  if (!rt.cfg.access_log) return;
  svc.log.info("access", {
    vs: rt.cfg.name,
    client,
    method: req.method,
    host: req.host,
    uri: req.target,
    status,
    pool,
    server,
    ms: svc.now() - started,
    ...(code === undefined ? {} : { code }),
  });
}
