// `tcpvs status --all`: the same words on this node and on every `[global] peers` node at once. An
// action (drain, enable, weight, vrrp ...) is sent to each node in parallel and each result reported;
// the table shows the nodes side by side (who owns which VIP, each pool as each node sees it). A node
// that cannot be reached is reported and never holds up the others: each connection has its own
// timeout. Exit 0 when every node answered ok, 1 otherwise.

import { UsageError } from "./usage-error.ts";
import { findConfig, loadConfig } from "../config/load.ts";
import { ControlClient } from "../control/control-client.ts";
import type { ActionResult } from "../control/control-handler.ts";
import type { StatusSnapshot } from "../control/snapshot.ts";
import { EXIT_FALSE, EXIT_OK, type StatusArgs, type StatusIO, statusIntent } from "./status-plan.ts";
import { ago, serverStateCell, vrrpStateCell } from "../control/status-table.ts";
import { readTokenFile } from "../control/token.ts";

export interface NodeTarget {
  name: string;
  controlAddress: string;
  tokenFile?: string;
  /** This node (the config's own control channel). */
  local: boolean;
}

export interface NodeOutcome {
  name: string;
  local: boolean;
  ok: boolean;
  result?: ActionResult;
  snapshot?: StatusSnapshot;
  error?: { code: string; message: string };
}

/** This node and its peers, from the config (`-c` or the default paths); `--control` overrides ours. */
export function allTargets(configFile?: string, control?: string, tokenFile?: string): NodeTarget[] {
  const { config } = loadConfig(findConfig(configFile));
  const peers = config.global.peers ?? [];
  if (peers.length === 0)
    throw new UsageError(
      "bad_arguments",
      `List the other nodes in [global] peers of ${config.file} to use --all, e.g. peers = [{ name = "node-b", control = "10.0.0.12:9300", token_file = "/etc/tcpvs/peer.token" }]`,
    );
  return [
    {
      name: config.global.router_id,
      controlAddress: control ?? config.global.control.text,
      tokenFile: tokenFile ?? config.global.control_token_file,
      local: true,
    },
    ...peers.map((p) => ({
      name: p.name,
      controlAddress: p.control.text,
      tokenFile: p.token_file,
      local: false,
    })),
  ];
}

async function ask(
  node: NodeTarget,
  method: string,
  params: Record<string, unknown>,
  timeoutMs: number,
): Promise<NodeOutcome> {
  const base = { name: node.name, local: node.local };
  let client: ControlClient | undefined;
  try {
    const token = node.tokenFile ? readTokenFile(node.tokenFile) : undefined;
    client = await ControlClient.connect(node.controlAddress, {
      token,
      clientName: "tcpvs-status-all",
      timeoutMs,
    });
    const r = await client.request(method, params);
    if (method === "status") return { ...base, ok: true, snapshot: r as StatusSnapshot };
    const result = r as ActionResult;
    return { ...base, ok: result.ok, result };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    return { ...base, ok: false, error: { code: typeof code === "string" ? code : "internal", message } };
  } finally {
    client?.close();
  }
}

export async function runStatusAll(
  a: StatusArgs,
  nodes: NodeTarget[],
  io: StatusIO,
  timeoutMs = 3000,
): Promise<number> {
  const intent = statusIntent(a);
  if (intent.kind !== "show" && intent.kind !== "action")
    throw new UsageError(
      "bad_arguments",
      "Use --all with the table (tcpvs status --all) or an action, not a query or --watch",
    );
  const method = intent.kind === "show" ? "status" : intent.method;
  const params = intent.kind === "action" ? intent.params : {};
  const outcomes = await Promise.all(nodes.map((n) => ask(n, method, params, timeoutMs)));
  const ok = outcomes.every((o) => o.ok);
  if (a.json) {
    const nodesJson = outcomes.map((o) => ({
      name: o.name,
      local: o.local,
      ok: o.ok,
      ...(o.snapshot ? { snapshot: o.snapshot } : {}),
      ...(o.result ? { result: o.result } : {}),
      ...(o.error ? { error: o.error } : {}),
    }));
    io.out(
      `${JSON.stringify({ ok, ...(intent.kind === "action" ? { action: method } : {}), nodes: nodesJson })}\n`,
    );
  } else if (intent.kind === "show") io.out(formatNodes(outcomes));
  else {
    const width = Math.max(...outcomes.map((o) => o.name.length));
    for (const o of outcomes) {
      const text = o.error ? o.error.message : (o.result?.message ?? "");
      io.out(`${o.name.padEnd(width)}  ${o.ok ? "ok  " : "FAIL"}  ${text}\n`);
    }
  }
  return ok ? EXIT_OK : EXIT_FALSE;
}

function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

/** The nodes side by side: each node's health, who owns each VIP, each pool's servers per node. */
export function formatNodes(outcomes: NodeOutcome[]): string {
  const up = outcomes.filter(
    (o): o is NodeOutcome & { snapshot: StatusSnapshot } => o.snapshot !== undefined,
  );
  const out: string[] = [];
  const nodeRows = [["NODE", "ROLE", "UP", "CONFIG", "PENDING RESTART"]];
  for (const o of outcomes) {
    const s = o.snapshot;
    if (!s) nodeRows.push([o.name, "unreachable:", o.error?.message ?? "", "", ""]);
    else
      nodeRows.push([
        `${o.name}${o.local ? " (this node)" : ""}`,
        s.role ?? "-",
        ago(s.uptime_seconds * 1000),
        s.config.sha256.slice(0, 12),
        s.pending_restart.join(",") || "-",
      ]);
  }
  out.push(...columns(nodeRows));
  const names = up.map((o) => o.name);
  // VRRP: each instance's state per node, and which node owns its VIPs (the master).
  const instances = [...new Set(up.flatMap((o) => o.snapshot.vrrp.map((v) => v.name)))];
  if (instances.length) {
    const rows = [["VRRP", "VIPS", ...names, "OWNER"]];
    for (const name of instances) {
      const per = up.map((o) => o.snapshot.vrrp.find((v) => v.name === name));
      const vips = per.find((v) => v)?.vips.join(",") ?? "-";
      const masters = up.filter((_, i) => per[i]?.state === "master").map((o) => o.name);
      const owner =
        masters.length === 0
          ? "nobody"
          : masters.length === 1
            ? masters[0]!
            : `${masters.join(" and ")} (both!)`;
      rows.push([
        name,
        vips,
        ...per.map((v, i) => (v ? vrrpStateCell(v, up[i]!.snapshot.generated_at_ms) : "-")),
        owner,
      ]);
    }
    out.push("", ...columns(rows));
  }
  const pools = [...new Set(up.flatMap((o) => o.snapshot.pools.map((p) => p.name)))];
  for (const pool of pools) {
    const rows = [[`pool ${pool}`, ...names]];
    const servers = [
      ...new Set(
        up.flatMap((o) => o.snapshot.pools.find((p) => p.name === pool)?.servers.map((s) => s.name) ?? []),
      ),
    ];
    for (const server of servers) {
      rows.push([
        `  ${server}`,
        ...up.map((o) => {
          const sv = o.snapshot.pools.find((p) => p.name === pool)?.servers.find((s) => s.name === server);
          return sv ? `${serverStateCell(sv, o.snapshot.generated_at_ms)} w${sv.weight}` : "-";
        }),
      ]);
    }
    out.push("", ...columns(rows));
  }
  return `${out.join("\n")}\n`;
}
