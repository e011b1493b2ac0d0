// The config vocabulary: every key of [global] and [pool.NAME], described once (see schema-kit.ts), the
// whole file's tables, and the rules that span tables (references, duplicates). Key names follow
// keepalived and HAProxy. [[virtual_server]] is in virtual-server-schema.ts, [pool.NAME.check] in
// check-schema.ts, [vrrp.NAME] in vrrp-schema.ts.

import { hostname } from "node:os";
import { isLoopback as isLoopbackIp, parseIp } from "../net/ip.ts";
import { schedulerNames, validatePersistence, validateSchedulerOptions } from "../sched/registry.ts";
import { checkSection } from "./check-schema.ts";
import { type Fields, isTable, type Raw } from "./fields.ts";
import { readSection, section, writeSection } from "./schema-kit.ts";
import { k } from "./schema-keys.ts";
import { checkTcpRules, poolTlsKey } from "./tls-schema.ts";
import type { TcpvsConfig } from "./types.ts";
import { virtualServerSection } from "./virtual-server-schema.ts";
import { duplicateVrids, vrrpSection } from "./vrrp-schema.ts";

export const SCHEDULERS: readonly string[] = schedulerNames;

function isLoopback(host: string): boolean {
  const ip = parseIp(host);
  return ip !== undefined && isLoopbackIp(ip);
}

/** [global] peers: the other nodes `tcpvs status --all` steers, each by its control address. */
export const peerSection = section(
  "global.peers",
  {
    name: k.string({ doc: "what `tcpvs status --all` calls the node", required: true }),
    control: k.endpoint({
      doc: "the peer's `[global] control` address",
      required: true,
      def: "unix:/invalid",
    }),
    token_file: k.string({ type: "path", doc: "the peer's control token; required for a remote peer" }),
  },
  [
    (p, at) => {
      const c = p.control;
      if (c.kind === "inet" && !isLoopback(c.host) && !p.token_file)
        at("token_file", `peer "${p.name}" at "${c.text}" is remote: give its token_file`);
    },
  ],
);

export const globalSection = section(
  "global",
  {
    control: k.endpoint({
      doc: "control channel (`tcpvs status`); a unix socket (mode 0600) or a loopback TCP address",
      def: "unix:/run/tcpvs/control.sock",
    }),
    control_token_file: k.string({
      type: "path",
      doc: "file holding the control token; required for a non-loopback `control`",
    }),
    control_allow_remote: k.bool({
      doc: "allow a non-loopback `control` address (still needs a token)",
      def: false,
    }),
    control_group: k.string({
      doc: "a group whose members may read the unix control socket (status, `--watch`, `check vrrp`) but not act: the socket becomes 0660 for it (HAProxy's `level user`); peers are named by their real uid, gid and pid (SO_PEERCRED). Under systemd add `SupplementaryGroups=` with the group. Applies at restart",
    }),
    peers: k.tables(peerSection, {
      doc: 'the other nodes, for `tcpvs status --all`: `peers = [{ name = "node-b", control = "10.0.0.12:9300", token_file = "/etc/tcpvs/peer.token" }]`; this node is called by `router_id`. Read by the CLI, not the daemon',
    }),
    metrics: k.endpoint({ doc: "Prometheus listener; `GET /metrics`" }),
    log_level: k.string({
      doc: "the `--log-level` flag wins",
      oneOf: ["debug", "info", "warn", "error"],
      def: "info",
    }),
    log_format: k.string({ doc: "the `--log-format` flag wins", oneOf: ["text", "json"], def: "text" }),
    grace: k.duration({
      doc: "how long SIGTERM waits for requests in flight; also bounds a planned VRRP handover's connection relay (`handover_relay`)",
      def: "10s",
    }),
    router_id: k.string({
      doc: "names this node in logs and notify lines",
      def: () => hostname(),
      defaultText: "host name",
    }),
    script_user: k.string({
      doc: 'keepalived\'s `script_user`: `"USER"` or `"USER GROUP"`; every script (checks, notify, quorum, VRRP track and notify) runs as that user (through `setpriv`), not as root',
      defaultText: "none (tcpvs's own user)",
    }),
    enable_script_security: k.bool({
      doc: "keepalived's rule: refuse at `config check` a script that a non-root user could modify or replace (the file or a directory above it), with the path and the reason",
      def: false,
    }),
    max_connections: k.int({
      doc: "client connections at once across all virtual servers; 0 = `(nofile − reserve) / 2`, see [below](#connection-limits-and-file-descriptors); a higher figure than that is lowered to it, with a warning",
      def: 0,
      defaultText: "0 (from the descriptor limit)",
      min: 0,
    }),
    // 64 MiB: about a thousand bodies held to their 64 KiB bound at once (see docs/reliability.md).
    max_held_bytes: k.size({
      doc: "request bytes held before forwarding, over all client connections: chunked bodies held until checked, partial heads, pipelined requests. When spent, clients that would add to it are not read (their bytes wait in the kernel) until bytes free up, in the order they began to wait; new connections wait too. At least 64 KiB; applied on reload. See [reliability](reliability.md#held-request-bodies)",
      def: "64MiB",
      min: 64 * 1024,
    }),
    workers: k.custom({
      doc: 'data-path event loops, each a Worker thread with its own SO_REUSEPORT listeners, sharing one set of connection counts, rr positions and persistence tables; `"auto"`: the CPUs this process may run on (affinity and cgroup quota), the default. 1 runs the data path on the main thread. Applies at restart. See [workers](workers.md)',
      type: '`"auto"` or an integer 1-256',
      def: "auto",
      read: (f, v, p): number | "auto" => {
        if (v === undefined) return "auto";
        if (v === "auto") return "auto";
        if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 256) return v;
        f.error(p, `expected "auto" or an integer from 1 to 256, got ${JSON.stringify(v)}`);
        return 1;
      },
    }),
  },
  [
    (g, at) => {
      if (g.control_group !== undefined && (g.control.kind !== "unix" || g.control_group === ""))
        at(
          "control_group",
          g.control.kind !== "unix"
            ? `control_group applies to a unix control socket, not "${g.control.text}": remove it or use unix:/PATH`
            : "control_group needs a group name",
        );
      for (const [i, p] of g.peers.entries())
        if (g.peers.findIndex((q) => q.name === p.name) !== i)
          at(`peers[${i}].name`, `peer name "${p.name}" is given twice`);
    },
    (g, at) => {
      const c = g.control;
      if (c.kind !== "inet" || isLoopback(c.host)) return;
      if (!g.control_allow_remote)
        at(
          "control",
          `refusing non-loopback control address "${c.text}": set control_allow_remote = true and control_token_file`,
        );
      else if (!g.control_token_file)
        at("control_token_file", `a non-loopback control address "${c.text}" needs control_token_file`);
    },
  ],
);

export const serverSection = section("pool.NAME.server", {
  name: k.string({
    doc: "unique in the pool; how `tcpvs status` names it",
    defaultFrom: (t) => (t.address as { text: string }).text,
    defaultText: "the address",
  }),
  address: k.endpoint({ doc: "where the server listens", required: true, def: "unix:/invalid" }),
  weight: k.int({
    doc: "0 = quiescent: no new connections, existing ones finish",
    def: 1,
    min: 0,
    max: 65_535,
  }),
  backup: k.bool({ doc: "used only while every non-backup server is down", def: false }),
  max_connections: k.int({ doc: "0 = unlimited; a server at its limit is skipped", def: 0, min: 0 }),
});

const observeSection = section("pool.NAME.observe", {
  errors: k.int({ doc: "errors that mark the server down", required: true, min: 1 }),
  within: k.duration({ doc: "counted over this window", def: "10s", min: 1 }),
});

export const poolSection = section(
  "pool.NAME",
  {
    scheduler: k.string({
      doc: "see [schedulers.md](schedulers.md)",
      oneOf: schedulerNames as readonly string[],
      def: "wlc",
    }),
    scheduler_options: k.custom({
      doc: "per-scheduler options: `key` (what hashing schedulers hash: source, uri, header, cookie, query, capture), `table_size`, `fallback`, `load_factor`, `cookie` (insert a persistence cookie), `persistence_table_size`, `expire_quiescent` …; see [schedulers.md](schedulers.md)",
      type: "table",
      def: () => ({}),
      defaultText: "`{}`",
      read: (f, v, p): Record<string, unknown> => {
        if (isTable(v)) return v;
        f.error(p, "expected a table");
        return {};
      },
    }),
    persistence_timeout: k.duration({
      doc: "LVS persistence: a client keeps its server for this long after its last request",
      def: "0s",
      defaultText: "`0` (off)",
    }),
    persistence_granularity: k.string({
      type: "netmask",
      doc: 'clients sharing this prefix share a server (IPv6: a prefix length such as `"64"`)',
      def: "255.255.255.255",
    }),
    sorry_server: k.endpoint({
      doc: "where traffic goes while the pool has lost quorum (keepalived `sorry_server`)",
    }),
    quorum: k.int({ doc: "sum of live servers' weights needed for the pool to be up", def: 1, min: 0 }),
    hysteresis: k.int({
      doc: "quorum is lost below `quorum - hysteresis` and regained at `quorum + hysteresis`",
      def: 0,
      min: 0,
    }),
    inhibit_on_failure: k.bool({
      doc: "a failed server stays in the pool at weight 0 instead of being removed",
      def: false,
    }),
    notify_up: k.string({
      type: "command",
      doc: "run when a server comes up; see [checks.md](checks.md) for arguments",
    }),
    notify_down: k.string({
      type: "command",
      doc: "run when a server goes down; see [checks.md](checks.md)",
    }),
    quorum_up: k.string({
      type: "command",
      doc: "run when the pool regains quorum, with `POOL UP LIVE_WEIGHT` (keepalived `quorum_up`)",
    }),
    quorum_down: k.string({
      type: "command",
      doc: "run when the pool loses quorum, with `POOL DOWN LIVE_WEIGHT` (keepalived `quorum_down`)",
    }),
    omega: k.bool({
      doc: "at shutdown, run `notify_down` for each live server and `quorum_down` (keepalived `omega`)",
      def: false,
    }),
    queue_timeout: k.duration({
      doc: "when every usable server is at its `max_connections`, a request waits in order this long for a slot (HAProxy `timeout queue`), then gets 503; 0: 503 at once. With `workers` it is one queue: arrival order over every worker, and a slot freed in any worker serves it",
      // No `def`: absent reads as off, and a PoolConfig built in code needs no entry.
      defaultText: "`0` (off)",
    }),
    slow_start: k.duration({
      doc: "a server coming up (or enabled) ramps its effective weight from 0 to its weight over this time",
      defaultText: "`0` (off)",
    }),
    observe: k.custom({
      doc: 'passive health: `{ errors = 5, within = "10s" }` connection failures and 5xx answers on live traffic (counted over every worker) mark a server down as if a check had failed: its checks bring it back after `rise` passes; a server without checks comes back after `within` (HAProxy `observe layer7` with `error-limit`)',
      type: "table",
      read: (f, v, p) => readSection(f, observeSection, v, p),
      write: (v: unknown) => writeSection(observeSection, v),
    }),
    server: k.tables(serverSection, { doc: "the servers (below)" }),
    check: k.tables(checkSection, { doc: "health checks (below); a server is up while all pass" }),
    tls: poolTlsKey,
  },
  [
    (p, at, _raw, path) => {
      const name = path.slice("pool.".length);
      if (p.server.length === 0)
        at("server", `pool "${name}" has no servers: add a [[${path}.server]] with an address`);
    },
    (p, at) => {
      const seen = new Map<string, number>();
      p.server.forEach((s, i) => {
        const first = seen.get(s.name);
        if (first !== undefined)
          at(`server[${i}]`, `duplicate server name "${s.name}" (also server[${first}])`);
        else seen.set(s.name, i);
      });
    },
    (p, at, raw) => {
      if (raw.scheduler !== undefined && !schedulerNames.includes(raw.scheduler as string)) return;
      for (const msg of validateSchedulerOptions(p.scheduler, p.scheduler_options)) {
        // Point at the option's own line when the message names it.
        const key = /option "([^"]+)"/.exec(msg)?.[1];
        at(key && key in p.scheduler_options ? `scheduler_options.${key}` : "scheduler_options", msg);
      }
    },
    (p, at) => {
      for (const msg of validatePersistence(p.persistence_timeout, p.persistence_granularity))
        at("persistence_granularity", msg);
    },
  ],
);

function hintPool(pools: Record<string, unknown>): string {
  const known = Object.keys(pools);
  if (known.length === 0) return "; no [pool.NAME] tables exist";
  return `; defined pools: ${known.map((n) => `"${n}"`).join(", ")}`;
}

export const configSection = section(
  "",
  {
    global: k.table(globalSection, { doc: "process-wide settings" }),
    virtual_server: k.tables(virtualServerSection, { doc: "listeners and their routing" }),
    pool: k.named(poolSection, { doc: "server pools" }),
    vrrp: k.named(vrrpSection, { doc: "VRRP instances" }),
  },
  [
    (cfg, at) => {
      const names = new Map<string, number>();
      cfg.virtual_server.forEach((vs, i) => {
        const path = `virtual_server[${i}]`;
        const first = names.get(vs.name);
        if (first !== undefined)
          at(`${path}.name`, `duplicate virtual_server name "${vs.name}" (also virtual_server[${first}])`);
        else names.set(vs.name, i);
        const refs: Array<[string, string]> = [
          [`${path}.pool`, vs.pool],
          ...vs.rule.map((r, j): [string, string] => [`${path}.rule[${j}].pool`, r.pool ?? ""]),
        ];
        for (const [p, pool] of refs)
          if (pool && !cfg.pool[pool]) at(p, `pool "${pool}" is not defined${hintPool(cfg.pool)}`);
      });
    },
    (cfg, at) => {
      const listens = new Map<string, string>();
      cfg.virtual_server.forEach((vs, i) => {
        vs.listen.forEach((l, j) => {
          const other = listens.get(l.text);
          if (other)
            at(`virtual_server[${i}].listen[${j}]`, `address "${l.text}" is already used by ${other}`);
          else listens.set(l.text, `virtual_server "${vs.name}"`);
        });
      });
    },
    (cfg, at) => duplicateVrids(cfg.vrrp, at),
    (cfg, at) => checkTcpRules(cfg, at),
    (cfg, at) => {
      for (const [name, inst] of Object.entries(cfg.vrrp)) {
        inst.track_pool.forEach((tp, i) => {
          if (!cfg.pool[tp.name])
            at(`vrrp.${name}.track_pool[${i}]`, `pool "${tp.name}" is not defined${hintPool(cfg.pool)}`);
        });
      }
    },
  ],
);

/** Validate a parsed TOML document; problems go to `f.issues`, the result is always complete. */
export function readConfig(f: Fields, raw: Raw, file: string): TcpvsConfig {
  return { file, ...readSection(f, configSection, raw, "") };
}
