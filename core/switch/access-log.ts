// The record of one finished request: always into the metrics (responses by status, latency per
// pool), and as an `access` log line when the virtual server asks for one (to the log, or to a
// syslog collector). A request that ended short or was refused carries the reason as `term` and is
// counted as cut, not by its status: a 200 whose body stopped half-way is no clean 200.
//
// The timings, like HAProxy's Th/Tw/Tc/Tr/Ta, in ms: `t_head` from the request's first byte to its
// whole head, `t_queue` waiting for a server slot, `t_connect` opening the server connection (0 on a
// reused one), `t_server` from sending the request to the server's response head, `ms` the total. A
// phase never reached is -1. The connection takes the fine-grained stamps only while the line is on.

import type { RequestHead } from "../http/head.ts";
import { Logger } from "../log/logger.ts";
import { SyslogSink } from "../log/syslog-sink.ts";
import type { VsRuntime } from "./runtime.ts";

/** One request's record, kept by its connection (reused, reset for each request). */
export class AccessRecord {
  /** The target as the client sent it (before rewrite_path). */
  uri = "";
  /** The matched rule's number (0: the default pool). */
  rule = 0;
  retries = 0;
  bytesIn = 0;
  /** Client writer's byte count when the request began. */
  outStart = 0;
  // performance.now() stamps, 0 when not reached.
  first = 0;
  head = 0;
  queued = 0;
  dequeued = 0;
  sent = 0;
  opened = 0;
  serverHead = 0;

  reset(): void {
    this.rule = 0;
    this.retries = 0;
    this.bytesIn = 0;
    this.head = 0;
    this.queued = 0;
    this.dequeued = 0;
    this.sent = 0;
    this.opened = 0;
    this.serverHead = 0;
  }
}

const ms = (a: number, b: number): number => (a === 0 || b === 0 ? -1 : Math.round((b - a) * 1000) / 1000);

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
  term: string | undefined,
  rec: AccessRecord | undefined,
  bytesOut: number,
  /** Why tcpvs answered itself (the code in its error body), when it did. */
  code?: string,
): void {
  const svc = rt.svc;
  const now = performance.now();
  svc.observe?.(rt.cfg.name, pool, status, (now - t0) / 1000, term);
  if (term !== undefined) svc.cluster.count(`cut.${term}`);
  const out = rt.accessLogger;
  if (out === undefined || rec === undefined) return;
  const line: Record<string, unknown> = {
    vs: rt.cfg.name,
    client,
    method: req.method,
    host: req.host,
    uri: rec.uri,
    status,
    rule: rec.rule,
    pool,
    server,
    bytes_in: rec.bytesIn,
    bytes_out: bytesOut,
    t_head: rec.first === 0 ? 0 : ms(rec.first, rec.head),
    t_queue: rec.queued === 0 ? 0 : ms(rec.queued, rec.dequeued === 0 ? now : rec.dequeued),
    t_connect: rec.sent === 0 ? -1 : rec.opened === 0 ? 0 : ms(rec.sent, rec.opened),
    t_server: ms(rec.sent, rec.serverHead),
    ms: svc.now() - started,
    retries: rec.retries,
  };
  if (term !== undefined) line.term = term;
  if (code !== undefined) line.code = code;
  out.info("access", line);
}

// One sink per collector, kept across reloads.
const sinks = new Map<string, Logger>();

/** Where a virtual server's access lines go: its switch's log, a syslog collector, or nowhere. */
export function accessLogger(cfg: VsRuntime["cfg"], log: Logger): Logger | undefined {
  const a = cfg.access_log;
  if (a === false) return undefined;
  if (a === true) return log;
  let l = sinks.get(a.syslog.text);
  if (l === undefined) {
    l = new Logger({
      level: "info",
      format: log.format,
      journald: false,
      sink: new SyslogSink(a.syslog, { msgid: "access" }),
    });
    sinks.set(a.syslog.text, l);
  }
  return l;
}
