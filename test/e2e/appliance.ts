// Helpers for the two-node appliance scenario: turn examples/two-node/*.toml into configs for a
// namespace lab, run each node's application and `tcpvs serve`, ask `tcpvs status`, and read the load
// client's results. The namespaces themselves come from test/vrrp/lab.ts.

import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { StatusSnapshot } from "../../core/control/snapshot.ts";
import { usableCpus } from "../../core/sys/cpu-count.ts";
import type { Lab, Proc } from "../vrrp/lab.ts";

const ROOT_DIR = join(import.meta.dir, "../..");
export const EXAMPLES = join(ROOT_DIR, "examples/two-node");
const MAIN = join(ROOT_DIR, "cmd/main.ts");

export interface Timings {
  /** VRRP v3 advert_int, ms. */
  advertMs: number;
  /** Health check interval and timeout, ms. */
  checkIntervalMs: number;
  checkTimeoutMs: number;
}

export interface Addresses {
  a: string;
  b: string;
  vip: string;
  controlSocket: string;
}

/** Replace `from` by `to` in `text`, insisting it is there: a changed example must fail loudly. */
function swap(text: string, from: string, to: string, file: string): string {
  if (!text.includes(from))
    throw new Error(`Update the scenario: ${file} no longer contains ${JSON.stringify(from)}`);
  return text.split(from).join(to);
}

const ms = (n: number) => `"${n}ms"`;

/** The example's text with the lab's addresses, a temp control socket and short timings. */
export function labConfig(example: "node-a.toml" | "node-b.toml", addr: Addresses, t: Timings): string {
  let text = readFileSync(join(EXAMPLES, example), "utf8");
  const f = example;
  text = swap(text, '"unix:/run/tcpvs/control.sock"', `"unix:${addr.controlSocket}"`, f);
  text = swap(text, '"10.0.0.11:8080"', `"${addr.a}:8080"`, f);
  text = swap(text, '"10.0.0.12:8080"', `"${addr.b}:8080"`, f);
  text = swap(text, '"10.0.0.100/24"', `"${addr.vip}/24"`, f);
  text = swap(text, 'advert_int = "1s"', `advert_int = ${ms(t.advertMs)}`, f);
  text = swap(text, 'interval = "1s"', `interval = ${ms(t.checkIntervalMs)}`, f);
  text = swap(text, 'timeout = "500ms"', `timeout = ${ms(t.checkTimeoutMs)}`, f);
  // A short drain, so a held node's hidden VIP goes soon (handover relay).
  text = swap(text, "[global]\n", '[global]\ngrace = "2s"\n', f);
  // The examples set no `workers`: the directors run the default, "auto" (every usable core).
  // TCPVS_E2E_WORKERS=N (or auto) forces a number, e.g. 1 to compare with the main-thread data path.
  const w = process.env.TCPVS_E2E_WORKERS;
  if (w) text = swap(text, "[global]\n", `[global]\nworkers = ${w === "auto" ? '"auto"' : Number(w)}\n`, f);
  return text;
}

/** How many data-path workers each director should report: TCPVS_E2E_WORKERS, else "auto"'s. */
export function expectedWorkers(): number {
  const w = process.env.TCPVS_E2E_WORKERS;
  return w && w !== "auto" ? Number(w) : usableCpus();
}

export function writeLabConfig(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/**
 * `tcpvs serve -c FILE` inside node i, logging JSON lines: from source, or the compiled binary named
 * by $TCPVS_E2E_BIN (e.g. `TCPVS_E2E_BIN=dist/tcpvs bun test test/e2e`).
 */
export function startTcpvs(lab: Lab, node: number, file: string): Proc {
  const bin = process.env.TCPVS_E2E_BIN;
  const argv = bin ? [resolve(bin)] : [process.execPath, MAIN];
  return lab.spawn(node, [...argv, "serve", "-c", file, "--log-format", "json"]);
}

export function startApp(lab: Lab, node: number, name: string, host: string): Proc {
  return lab.spawn(node, [process.execPath, join(import.meta.dir, "app-server.ts"), name, host, "8080"]);
}

export function startClient(
  lab: Lab,
  node: number,
  vip: string,
  rate: number,
  seconds: number,
  timeoutMs: number,
): Proc {
  return lab.spawn(node, [
    process.execPath,
    join(import.meta.dir, "load-client.ts"),
    vip,
    "80",
    String(rate),
    String(seconds),
    String(timeoutMs),
  ]);
}

/** `tcpvs status --control unix:SOCK --json [words...]`: exit code and parsed JSON (if any). */
export async function status(
  socket: string,
  ...words: string[]
): Promise<{ code: number; json?: StatusSnapshot; out: string }> {
  const p = Bun.spawn([process.execPath, MAIN, "status", "--control", `unix:${socket}`, "--json", ...words], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill(9), 10_000);
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  let json: StatusSnapshot | undefined;
  try {
    json = words.length === 0 ? (JSON.parse(out) as StatusSnapshot) : undefined;
  } catch {
    json = undefined;
  }
  return { code, json, out: out + err };
}

export function vrrpState(s: StatusSnapshot | undefined, instance = "VI_1"): string | undefined {
  return s?.vrrp.find((v) => v.name === instance)?.state;
}

export function server(s: StatusSnapshot | undefined, pool: string, id: string) {
  return s?.pools.find((p) => p.name === pool)?.servers.find((x) => x.name === id);
}

/** One request of the load client. */
export interface Sample {
  t: number;
  ok: boolean;
  node?: string;
  ms: number;
  err?: string;
}

export function samples(client: Proc): Sample[] {
  const out: Sample[] = [];
  for (const l of client.lines) {
    if (!l.startsWith("{")) continue;
    try {
      out.push(JSON.parse(l) as Sample);
    } catch {
      // a partial line at the very end: ignore it
    }
  }
  return out;
}

export interface Window {
  total: number;
  failed: number;
  byNode: Record<string, number>;
  /** First and last failed request's start time, epoch ms. */
  firstFail?: number;
  lastFail?: number;
  errors: Record<string, number>;
}

/** Requests that started in [from, to). */
export function tally(all: Sample[], from: number, to: number): Window {
  const w: Window = { total: 0, failed: 0, byNode: {}, errors: {} };
  for (const s of all) {
    if (s.t < from || s.t >= to) continue;
    w.total++;
    if (s.ok) {
      const n = s.node ?? "?";
      w.byNode[n] = (w.byNode[n] ?? 0) + 1;
    } else {
      w.failed++;
      w.firstFail ??= s.t;
      w.lastFail = s.t;
      const e = s.err ?? "?";
      w.errors[e] = (w.errors[e] ?? 0) + 1;
    }
  }
  return w;
}

/**
 * The client's gap over requests started in [from, to): `wait`, the longest any request waited for its
 * answer (a failed one counts its whole wait: its timeout, or the 1 s SYN retransmission a client
 * without a timeout would see), and `stretch`, the longest time between two successful responses (at
 * RATE requests/s a healthy service shows about 1000/RATE ms; on a loaded machine it also counts the
 * client waiting for a CPU before it starts its next request).
 */
export function clientGap(
  all: Sample[],
  from: number,
  to: number,
): { wait: number; stretch: number; slowestAt: number } {
  const inWindow = all.filter((s) => s.t >= from && s.t < to);
  const done = inWindow
    .filter((s) => s.ok)
    .map((s) => s.t + s.ms)
    .sort((a, b) => a - b);
  let stretch = 0;
  for (let i = 1; i < done.length; i++) stretch = Math.max(stretch, done[i]! - done[i - 1]!);
  const slowest = inWindow.reduce<Sample | undefined>((a, s) => (!a || s.ms > a.ms ? s : a), undefined);
  return { wait: slowest?.ms ?? 0, stretch, slowestAt: slowest?.t ?? from };
}

/** The time (ms after `since`) of the first log line of `p` matching `re` at or after index `from`. */
export function lineIndex(p: Proc, re: RegExp, from: number): number {
  return p.lines.findIndex((l, k) => k >= from && re.test(l));
}

/** SIGKILL every process in `procs` still running (each one this test started) and wait for it. */
/** $TCPVS_E2E_LOGS=DIR: every process's output lines are kept there (`TAG-N.log`), to read a failure. */
export async function stopAll(procs: Proc[], tag = "e2e"): Promise<void> {
  for (const p of procs) if (p.proc.exitCode === null) p.proc.kill(9);
  await Promise.all(procs.map((p) => p.done));
  const dir = process.env.TCPVS_E2E_LOGS;
  if (!dir) return;
  for (const [i, p] of procs.entries())
    writeFileSync(join(dir, `${tag}-${i}.log`), `${p.lines.join("\n")}\n`);
}
