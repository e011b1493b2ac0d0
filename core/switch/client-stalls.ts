// Responses cut short because the client stalled (client_timeout: it stopped reading the response or
// sending its body). Not the server's fault, so not a server fault (server-fault.ts), yet an operator
// needs to see it, named by virtual server and server: one WARN per server per interval with the count
// and the last reason, however many clients stall.

import type { Logger } from "../log/logger.ts";
import { ThrottledWarn, type ThrottledWarnOptions } from "../log/throttled-warn.ts";
import type { ServerState } from "../state/cluster.ts";

export class ClientStalls {
  private readonly warn: ThrottledWarn;

  constructor(logger: Logger, opts: ThrottledWarnOptions = {}) {
    this.warn = new ThrottledWarn(logger, opts);
  }

  /** A client of `vs` stalled an exchange with `server`, for `reason` (e.g. client_timeout). */
  report(vs: string, server: ServerState, reason: string): void {
    this.warn.warn(
      `${vs}\u0000${server.pool}\u0000${server.id}`,
      `Exchange with server ${server.pool}/${server.id} on "${vs}" cut short: the client stalled`,
      { vs, pool: server.pool, server: server.id },
      reason,
    );
  }

  /** Log the counts still pending (at stop). */
  close(): void {
    this.warn.close();
  }
}
