// TCP_CHECK: the server is up when it accepts a connection within the timeout.

import { ProbeConn } from "./probe-conn.ts";
import { type CheckFn, measure } from "./types.ts";

export const tcpCheck: CheckFn = (check, target) =>
  measure(async () => {
    const conn = await ProbeConn.open(target, check.timeout);
    conn.close();
    return { ok: true, reason: "connected" };
  });
