// Server faults in the log: a refused or reset connection, a garbage answer, a connect or response
// timeout. Each is counted against the server (ServerState.errors, the metrics) where it happens; this
// turns them into the line an operator greps for first, one WARN per server per interval with the
// count and the last reason, naming the virtual server, pool and server.

import type { Logger } from "../log/logger.ts";
import { ThrottledWarn, type ThrottledWarnOptions } from "../log/throttled-warn.ts";
import type { ServerState } from "../state/cluster.ts";

const ERRNO: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOENT: "no such socket file",
  EACCES: "permission denied",
};

const CODE: Record<string, string> = {
  refused: "connection refused",
  connect_timeout: "no connection within server_connect_timeout",
  closed: "connection closed before a complete response",
  bad_response: "invalid response",
  server_response_timeout: "no response within server_response_timeout",
  idle_timeout: "response stalled past idle_timeout",
  server_timeout: "response stalled past server_timeout",
  unexpected_101: "101 Switching Protocols to a request that asked for no upgrade",
};

/**
 * Words for a fault: `code` is the switch's (refused, closed, bad_response, a timeout, or the parser's
 * error code for an invalid response), `errno` the socket's error code when there was one, `detail`
 * the parser's message for an invalid response.
 */
export function faultReason(code: string, errno?: string, detail?: string): string {
  if (errno !== undefined) {
    const words = ERRNO[errno] ?? (code === "refused" ? "connect failed" : (CODE[code] ?? code));
    return `${words} (${errno})`;
  }
  if (detail !== undefined) return `invalid response: ${detail}`;
  return CODE[code] ?? `invalid response (${code})`;
}

export class ServerFaults {
  private readonly warn: ThrottledWarn;

  constructor(logger: Logger, opts: ThrottledWarnOptions = {}) {
    this.warn = new ThrottledWarn(logger, opts);
  }

  /** `server`, reached through virtual server `vs`, failed for `reason` (from faultReason). */
  report(vs: string, server: ServerState, reason: string): void {
    this.warn.warn(
      `${vs}\u0000${server.pool}\u0000${server.id}`,
      `Server ${server.pool}/${server.id} (${server.address}) failed a request for "${vs}"`,
      { vs, pool: server.pool, server: server.id, address: server.address },
      reason,
    );
  }

  /**
   * A client of `vs` stalled an exchange with `server` (client_timeout: it stopped reading the response
   * or sending its body). Not the server's fault, yet named by server so an operator sees where, in
   * its own line per server per interval.
   */
  clientStalled(vs: string, server: ServerState, reason: string): void {
    this.warn.warn(
      `stall\u0000${vs}\u0000${server.pool}\u0000${server.id}`,
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
