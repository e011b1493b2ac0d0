// Two nodes' files checked together (`tcpvs config check --peer OTHER.toml`): what makes a VRRP pair
// fail (different router ids, VIPs, timing or auth; equal priorities) is an error, and what makes the
// pair behave unexpectedly (a track weight that never hands over, nopreempt on one side, virtual servers
// that differ between the nodes) is a warning. Each problem is reported at its line in either file.

import type { ConfigProblem } from "./load.ts";
import { indexPositions, locate, type Position } from "./positions.ts";
import type { PoolConfig, TcpvsConfig, VirtualServerConfig, VrrpConfig } from "./types.ts";

export interface PeerSide {
  file: string;
  text: string;
  config: TcpvsConfig;
}

export interface PeerProblem extends ConfigProblem {
  severity: "error" | "warning";
}

export function formatPeerProblem(p: PeerProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
}

class Sides {
  private readonly index: [Map<string, Position>, Map<string, Position>];
  readonly problems: PeerProblem[] = [];

  constructor(
    readonly a: PeerSide,
    readonly b: PeerSide,
  ) {
    this.index = [indexPositions(a.text), indexPositions(b.text)];
  }

  has(side: 0 | 1, path: string): boolean {
    return this.index[side].has(path);
  }

  where(side: 0 | 1, path: string): string {
    const p = locate(this.index[side], path);
    return `${side === 0 ? this.a.file : this.b.file}:${p.line}:${p.column}`;
  }

  add(severity: PeerProblem["severity"], side: 0 | 1, path: string, message: string): void {
    const file = side === 0 ? this.a.file : this.b.file;
    this.problems.push({ severity, file, ...locate(this.index[side], path), path, message });
  }
}

const show = (v: unknown) => (v === undefined ? "none" : JSON.stringify(v));

/** Priority while every tracked item is fine: positive weights count, as keepalived adds them. */
function okPriority(v: VrrpConfig): number {
  if (v.priority === 255) return 255;
  const up = [...v.track_interface, ...v.track_script, ...v.track_pool].filter((t) => t.weight > 0);
  return Math.min(254, v.priority + up.reduce((s, t) => s + t.weight, 0));
}

function tracks(v: VrrpConfig, path: string): Array<{ what: string; weight: number; path: string }> {
  const list = (kind: "track_interface" | "track_script" | "track_pool") =>
    v[kind].map((t, i) => ({ what: `${kind} "${t.name}"`, weight: t.weight, path: `${path}.${kind}[${i}]` }));
  return [...list("track_interface"), ...list("track_script"), ...list("track_pool")].filter(
    (t) => t.weight !== 0,
  );
}

function checkInstance(s: Sides, names: [string, string], va: VrrpConfig, vb: VrrpConfig): void {
  const paths = [`vrrp.${names[0]}`, `vrrp.${names[1]}`] as const;
  const path = paths[0];
  const must = (key: string, x: unknown, y: unknown, why: string) => {
    if (JSON.stringify(x) === JSON.stringify(y)) return;
    s.add(
      "error",
      0,
      `${path}.${key}`,
      `${show(x)} here but ${show(y)} in ${s.where(1, `${paths[1]}.${key}`)}: ${why}`,
    );
  };
  const same = "both nodes of an instance must agree";
  must("virtual_router_id", va.virtual_router_id, vb.virtual_router_id, `${same}, or they are two routers`);
  const vips = (v: VrrpConfig) => v.virtual_ipaddress.map((x) => `${x.address}/${x.prefix}`).sort();
  must("virtual_ipaddress", vips(va), vips(vb), `${same}: the backup would drop the master's adverts`);
  must("advert_int", va.advert_int, vb.advert_int, `${same} (milliseconds shown): adverts would be refused`);
  must("version", va.version, vb.version, `${same}: v2 and v3 adverts do not interoperate`);
  must("auth_pass", va.auth_pass, vb.auth_pass, `${same}: adverts would fail authentication`);
  must(
    "v3_checksum_no_pseudo_header",
    va.v3_checksum_no_pseudo_header,
    vb.v3_checksum_no_pseudo_header,
    `${same}: adverts would fail the checksum`,
  );
  if (va.unicast_peer.length > 0 !== vb.unicast_peer.length > 0) {
    const [uni, multi] = va.unicast_peer.length > 0 ? ([0, 1] as const) : ([1, 0] as const);
    s.add(
      "error",
      uni,
      `${paths[uni]}.unicast_peer`,
      `unicast here but multicast in ${s.where(multi, paths[multi])}: the nodes would never hear each other`,
    );
  }
  if (va.priority === vb.priority) {
    const why =
      va.priority === 255
        ? "both nodes claim to own the addresses (255)"
        : "equal priorities leave mastership to the higher address; give the intended master the higher one";
    s.add(
      "error",
      0,
      `${path}.priority`,
      `priority ${va.priority} here and in ${s.where(1, `${paths[1]}.priority`)}: ${why}`,
    );
    if (va.priority === 255)
      s.add(
        "error",
        1,
        `${paths[1]}.priority`,
        `priority 255 here and in ${s.where(0, `${path}.priority`)}: ${why}`,
      );
  }
  if (va.preempt !== vb.preempt) {
    const side = va.preempt ? 1 : 0;
    const key = s.has(side, `${paths[side]}.nopreempt`)
      ? `${paths[side]}.nopreempt`
      : `${paths[side]}.preempt`;
    const other = side === 0 ? 1 : 0;
    s.add(
      "warning",
      side,
      key,
      `nopreempt on this node only (${s.where(other, paths[other])} preempts): which node is master after a restart depends on start order`,
    );
  }
  // A failed track on the master must bring it below the backup, or it never hands over.
  const [pa, pb] = [okPriority(va), okPriority(vb)];
  if (pa === pb) return;
  const [m, mv, other] = pa > pb ? ([0, va, pb] as const) : ([1, vb, pa] as const);
  if (mv.priority === 255) {
    if (tracks(mv, paths[m]).length > 0)
      s.add(
        "warning",
        m,
        `${paths[m]}.priority`,
        "priority 255 (address owner) is never lowered by a track weight: this node never hands over",
      );
    return;
  }
  const ok = Math.max(pa, pb);
  for (const t of tracks(mv, paths[m])) {
    const failed = ok - Math.abs(t.weight);
    if (failed < other) continue;
    const result = failed === other ? "equal to" : "still above";
    s.add(
      "warning",
      m,
      t.path,
      `a failed ${t.what} takes priority ${ok} to ${failed}, ${result} the peer's ${other}: mastership never moves for it; use a weight beyond ${ok - other}`,
    );
  }
}

function vsKey(v: VirtualServerConfig): string {
  return JSON.stringify({ listen: v.listen.map((l) => l.text), mode: v.mode, pool: v.pool, rule: v.rule });
}

function poolParts(p: PoolConfig): Record<string, string> {
  const { server, check, scheduler, name: _, ...rest } = p;
  return {
    scheduler: JSON.stringify(scheduler),
    server: JSON.stringify(server.map((x) => [x.address.text, x.weight, x.backup, x.max_connections])),
    check: JSON.stringify(check),
    "": JSON.stringify(rest, (_k, v) => (v && typeof v === "object" && "text" in v ? v.text : v)),
  };
}

function checkServing(s: Sides): void {
  const warnAlone = (side: 0 | 1, path: string, what: string) =>
    s.add(
      "warning",
      side,
      path,
      `${what} is only on this node: either node may serve, so the other would not`,
    );
  const names = [s.a.config.virtual_server, s.b.config.virtual_server].map(
    (l) => new Map(l.map((v, i) => [v.name, { v, i }])),
  );
  for (const [side, mine, theirs] of [
    [0, names[0]!, names[1]!],
    [1, names[1]!, names[0]!],
  ] as const) {
    for (const [name, { v, i }] of mine) {
      const other = theirs.get(name);
      if (!other) warnAlone(side, `virtual_server[${i}]`, `virtual_server "${name}"`);
      else if (side === 0 && vsKey(v) !== vsKey(other.v))
        s.add(
          "warning",
          0,
          `virtual_server[${i}]`,
          `virtual_server "${name}" differs from ${s.where(1, `virtual_server[${other.i}]`)} (listen, mode, pool or rules): either node may serve`,
        );
    }
  }
  const [pa, pb] = [s.a.config.pool, s.b.config.pool];
  for (const name of Object.keys(pa)) if (!pb[name]) warnAlone(0, `pool.${name}`, `pool "${name}"`);
  for (const name of Object.keys(pb)) if (!pa[name]) warnAlone(1, `pool.${name}`, `pool "${name}"`);
  for (const name of Object.keys(pa)) {
    if (!pb[name]) continue;
    const [x, y] = [poolParts(pa[name]!), poolParts(pb[name]!)];
    for (const part of Object.keys(x)) {
      if (x[part] === y[part]) continue;
      const path = part ? `pool.${name}.${part}` : `pool.${name}`;
      const what: Record<string, string> = {
        scheduler: "scheduler differs",
        server: "servers differ",
        check: "checks differ",
      };
      s.add(
        "warning",
        0,
        path,
        `the pool's ${what[part] ?? "settings differ"} from ${s.where(1, path)}: either node may serve`,
      );
    }
  }
}

/** Every error and warning for the pair, errors first, each in file and line order. */
export function checkPeers(a: PeerSide, b: PeerSide): PeerProblem[] {
  const s = new Sides(a, b);
  const [va, vb] = [a.config.vrrp, b.config.vrrp];
  const alone: [string[], string[]] = [[], []];
  for (const name of Object.keys(va)) {
    if (vb[name]) checkInstance(s, [name, name], va[name]!, vb[name]!);
    else alone[0].push(name);
  }
  for (const name of Object.keys(vb)) if (!va[name]) alone[1].push(name);
  // Instance names are local; the wire knows the router id. Named apart, the same id is one instance.
  for (const name of [...alone[0]]) {
    const twin = alone[1].find((n) => vb[n]!.virtual_router_id === va[name]!.virtual_router_id);
    if (!twin) continue;
    checkInstance(s, [name, twin], va[name]!, vb[twin]!);
    alone[0].splice(alone[0].indexOf(name), 1);
    alone[1].splice(alone[1].indexOf(twin), 1);
  }
  for (const side of [0, 1] as const)
    for (const name of alone[side])
      s.add("warning", side, `vrrp.${name}`, `instance ${name} is only on this node: nothing backs it up`);
  checkServing(s);
  const rank = (p: PeerProblem) => (p.severity === "error" ? 0 : 1);
  const fileRank = (p: PeerProblem) => (p.file === a.file ? 0 : 1);
  return s.problems.sort(
    (x, y) => rank(x) - rank(y) || fileRank(x) - fileRank(y) || x.line - y.line || x.column - y.column,
  );
}
