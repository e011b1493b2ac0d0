// What the status page on the metrics listener reads: the same snapshot and events as the control
// channel, from the role's cluster model and description. Read-only by construction.

import { eventJson } from "../control/event-json.ts";
import { PROTOCOL_VERSION } from "../control/protocol.ts";
import { buildSnapshot, type DaemonDescription } from "../control/snapshot.ts";
import type { StatusPageSource } from "../metrics/status-page.ts";
import type { Cluster } from "../state/cluster.ts";

export function pageSource(cluster: Cluster, describe: () => DaemonDescription): StatusPageSource {
  return {
    snapshot: () => buildSnapshot(cluster, describe(), PROTOCOL_VERSION, Date.now()),
    subscribe: (fn) => cluster.subscribe((e) => fn(eventJson(e))),
  };
}
