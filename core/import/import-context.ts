// Shared pieces of the keepalived converters: the ledger, the tcpvs tables being built, and readers for
// keepalived's value words (seconds, integers, addresses) that report a bad word instead of guessing.

import { isIP } from "node:net";
import type { ImportLedger } from "./import-ledger.ts";
import type { KNode } from "./keepalived-parser.ts";
import type { ScriptHost } from "./script-host.ts";
import type { Table } from "./toml-writer.ts";

export interface OutPool {
  from: string;
  table: Table;
  servers: Array<{ from: string; table: Table }>;
  checks: Table[];
}

export interface ImportOutput {
  global: Table;
  virtualServers: Array<{ from: string; table: Table }>;
  pools: Map<string, OutPool>;
  vrrp: Map<string, { from: string; table: Table }>;
}

export interface ImportContext {
  ledger: ImportLedger;
  out: ImportOutput;
  /** Ports whose virtual servers become HTTP mode (--http). */
  httpPorts: Set<number>;
  /** Named blocks other blocks refer to. */
  vrrpScripts: Map<string, KNode>;
  vsGroups: Map<string, KNode>;
  /** "interface/virtual_router_id" -> the instance that has it. */
  vrids: Map<string, string>;
  /** vrrp_instance name -> vrrp_sync_group name. */
  syncGroups: Map<string, string>;
  /** The machine the import runs on: whether its users and scripts pass config check. */
  host: ScriptHost;
  /** global_defs script settings, settled once the output's scripts are known. */
  script: {
    userNode?: KNode;
    securityNode?: KNode;
    /** keepalived's user for scripts that name none (memo; null: keepalived's own). */
    user?: string | null;
  };
  /** Comment lines written at the end of [global] (settings written commented out). */
  globalComments: string[];
  /** global_defs values that are instance defaults in tcpvs. */
  vrrpDefaults: {
    version?: number;
    garp_master_delay?: string;
    garp_master_repeat?: number;
    garp_master_refresh?: string;
  };
}

export function from(n: KNode): string {
  return `from ${n.file}:${n.line}`;
}

/** Milliseconds as a tcpvs duration: "6s", "500ms", "1.5s" is written "1500ms". */
export function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** keepalived's seconds (a TIMER may have decimals) as milliseconds; a bad word is reported. */
export function seconds(ctx: ImportContext, n: KNode, word = n.args[0]): number | undefined {
  if (word === undefined || !/^\d+(\.\d+)?$/.test(word)) {
    ctx.ledger.drop(n, `expected a number of seconds, got ${word === undefined ? "nothing" : `"${word}"`}`);
    return undefined;
  }
  ctx.ledger.use(n);
  return Math.round(Number(word) * 1000);
}

export function integer(
  ctx: ImportContext,
  n: KNode,
  min: number,
  max: number,
  word = n.args[0],
): number | undefined {
  const v = word !== undefined && /^-?\d+$/.test(word) ? Number(word) : Number.NaN;
  if (!Number.isInteger(v) || v < min || v > max) {
    ctx.ledger.drop(
      n,
      `expected an integer ${min}-${max}, got ${word === undefined ? "nothing" : `"${word}"`}`,
    );
    return undefined;
  }
  ctx.ledger.use(n);
  return v;
}

/** A one-word value (a string argument), or a report when it is missing. */
export function word(ctx: ImportContext, n: KNode): string | undefined {
  const v = n.args[0];
  if (v === undefined) {
    ctx.ledger.drop(n, "expected a value after the keyword");
    return undefined;
  }
  ctx.ledger.use(n);
  return v;
}

export function family(ip: string): 4 | 6 | 0 {
  return isIP(ip) as 4 | 6 | 0;
}

/** "10.0.0.1:80" or "[2001:db8::1]:80". */
export function hostPort(ip: string, port: number): string {
  return family(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** A name usable as a tcpvs virtual server and pool name: "vs_10_0_0_1_80". */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "");
}

/** Block keywords with the reason tcpvs cannot carry them; the caller drops them with it. */
export function dropKnown(ctx: ImportContext, n: KNode, reasons: Record<string, string>): boolean {
  const why = reasons[n.keyword];
  if (why === undefined) return false;
  ctx.ledger.drop(n, why);
  return true;
}

export const NO_EMAIL = "tcpvs sends no e-mail; a notify script can";
