// The lists inside a vrrp_instance: tracked scripts (through named vrrp_script blocks), tracked
// interfaces, and VIP lines; plus vrrp_sync_group, which tcpvs writes as each member's sync_group.

import { perScriptUser } from "./convert-script-user.ts";
import { duration, family, type ImportContext, integer, NO_EMAIL, seconds } from "./import-context.ts";
import type { KNode } from "./keepalived-parser.ts";
import type { TomlValue } from "./toml-writer.ts";

interface ScriptDef {
  script: string;
  interval: number;
  timeout: number;
  rise: number;
  fall: number;
  weight: number;
}

// A vrrp_script tracked by several instances is read (and its drops reported) once.
const scriptDefs = new WeakMap<KNode, ScriptDef | undefined>();

function readScriptDef(ctx: ImportContext, def: KNode): ScriptDef | undefined {
  if (scriptDefs.has(def)) return scriptDefs.get(def);
  let script: string | undefined;
  let interval = 1000;
  let timeout: number | undefined;
  let rise = 1;
  let fall = 1;
  let weight = 0;
  for (const k of def.children ?? []) {
    if (k.keyword === "script") {
      script = k.args.join(" ");
      ctx.ledger.use(k);
    } else if (k.keyword === "interval") interval = seconds(ctx, k) ?? interval;
    else if (k.keyword === "timeout") timeout = seconds(ctx, k);
    else if (k.keyword === "rise") rise = integer(ctx, k, 1, 100) ?? rise;
    else if (k.keyword === "fall") fall = integer(ctx, k, 1, 100) ?? fall;
    else if (k.keyword === "weight") {
      weight = integer(ctx, k, -253, 253) ?? weight;
      if (k.args[1] === "reverse") ctx.ledger.note(k, "weight reverse", "tcpvs has no reversed weights");
    } else if (k.keyword === "user") perScriptUser(ctx, k, k.args, true);
    else if (k.keyword === "init_fail") ctx.ledger.drop(k, "a tcpvs track script starts as passing");
  }
  // keepalived lets a script run for its whole interval unless a timeout is given.
  const out =
    script === undefined ? undefined : { script, interval, timeout: timeout ?? interval, rise, fall, weight };
  if (out) ctx.ledger.use(def);
  scriptDefs.set(def, out);
  return out;
}

/** A vrrp_script as a track_script entry, from the instance's reference line. */
export function trackScript(ctx: ImportContext, ref: KNode): TomlValue | undefined {
  const name = ref.keyword;
  const def = ctx.vrrpScripts.get(name);
  if (!def) {
    ctx.ledger.drop(ref, `no vrrp_script "${name}" is defined`, `track_script ${name}`);
    return undefined;
  }
  const s = readScriptDef(ctx, def);
  if (!s) {
    ctx.ledger.drop(
      ref,
      `vrrp_script "${name}" has no script line (for this config id)`,
      `track_script ${name}`,
    );
    return undefined;
  }
  let weight = s.weight;
  if (ref.args[0] === "weight") {
    weight = integer(ctx, ref, -253, 253, ref.args[1]) ?? weight;
    if (ref.args[2] === "reverse") ctx.ledger.note(ref, "weight reverse", "tcpvs has no reversed weights");
  } else ctx.ledger.use(ref);
  const { script, interval, timeout, rise, fall } = s;
  return { name, script, interval: duration(interval), timeout: duration(timeout), rise, fall, weight };
}

export function trackInterface(ctx: ImportContext, n: KNode): TomlValue | undefined {
  if (n.args[0] !== "weight") {
    ctx.ledger.use(n);
    return n.keyword;
  }
  const weight = integer(ctx, n, -253, 253, n.args[1]);
  if (weight === undefined) return undefined;
  if (n.args[2] === "reverse") ctx.ledger.note(n, "weight reverse", "tcpvs has no reversed weights");
  return weight === 0 ? n.keyword : { name: n.keyword, weight };
}

/** "10.0.0.1/24 dev eth1 label eth1:0 scope link" -> "10.0.0.1/24 dev eth1 label eth1:0" and notes. */
export function vip(ctx: ImportContext, n: KNode): { text: string; fam: 4 | 6; address: string } | undefined {
  const [addr, prefix] = n.keyword.split("/");
  const fam = family(addr ?? "");
  const max = fam === 6 ? 128 : 32;
  if (!fam || (prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= max))) {
    ctx.ledger.drop(n, `"${n.keyword}" is not an address or ADDRESS/PREFIX`, "virtual_ipaddress");
    return undefined;
  }
  ctx.ledger.use(n);
  const words = [n.keyword];
  for (let i = 0; i < n.args.length; i++) {
    const k = n.args[i]!;
    if ((k === "dev" || k === "label") && n.args[i + 1] !== undefined) words.push(k, n.args[++i]!);
    else {
      const takesValue = ["brd", "broadcast", "scope", "peer", "preferred_lft", "track_group"].includes(k);
      const v = takesValue ? ` ${n.args[++i] ?? ""}` : "";
      ctx.ledger.note(
        n,
        `virtual_ipaddress ${k}${v}`,
        "tcpvs adds a VIP with its address, prefix, dev and label only",
      );
    }
  }
  return { text: words.join(" "), fam, address: addr! };
}

/** vrrp_sync_group NAME { group { VI_1 VI_2 } ... }, or the old form with the names in the block. */
export function convertSyncGroup(ctx: ImportContext, n: KNode, instances: Set<string>): void {
  const name = n.args[0];
  if (!name) {
    ctx.ledger.drop(n, "a vrrp_sync_group needs a name");
    return;
  }
  ctx.ledger.use(n);
  const member = (m: KNode) => {
    if (instances.has(m.keyword)) {
      ctx.syncGroups.set(m.keyword, name);
      ctx.ledger.use(m);
    } else
      ctx.ledger.drop(m, `no vrrp_instance "${m.keyword}" is carried over`, `vrrp_sync_group ${name} member`);
  };
  for (const k of n.children ?? []) {
    if (k.keyword === "group") {
      ctx.ledger.use(k);
      for (const m of k.children ?? []) member(m);
    } else if (k.keyword.startsWith("notify"))
      ctx.ledger.drop(k, "tcpvs runs notify scripts per instance; give each member instance its own");
    else if (k.keyword === "smtp_alert") ctx.ledger.drop(k, NO_EMAIL);
    else if (!k.children && k.args.length === 0 && /^[A-Za-z0-9_.-]+$/.test(k.keyword)) member(k);
  }
}
