// The record of one finished request: always into the metrics (responses by status, latency per
// pool), and as an `access` log line when the virtual server asks for one. A request that ended short
// (its response cut, or the client gone first) carries the reason as `term` and is counted as cut, not
// by its status: a 200 whose body stopped half-way is no clean 200.

import type { RequestHead } from "../http/head.ts";
import type { VsRuntime } from "./runtime.ts";

/**
 * `started` is the coarse clock (ms) when the head arrived, `t0` the fine one (performance.now());
 * `server` the id of the server that answered, when one did; `term` why the exchange ended short.
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
  term?: string,
  /** Why tcpvs answered itself (the code in its error body), when it did. */
  code?: string,
): void {
  const svc = rt.svc;
  svc.observe?.(rt.cfg.name, pool, status, (performance.now() - t0) / 1000, term);
  if (term !== undefined) svc.cluster.count(`cut.${term}`);
  if (!rt.cfg.access_log) return;
  const line: Record<string, unknown> = {
    vs: rt.cfg.name,
    client,
    method: req.method,
    host: req.host,
    uri: req.target,
    status,
    pool,
    server,
    ms: svc.now() - started,
  };
  if (term !== undefined) line.term = term;
  if (code !== undefined) line.code = code;
  svc.log.info("access", line);
}
