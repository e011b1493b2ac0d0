// `tcpvs status --watch`: a snapshot first, then a tick every second (rates and sparklines on a
// terminal, a `stats` JSON line with --json), events as they come, and when the daemon goes away (a
// restart) a line saying so and a new connection as soon as it is back. Ends on Ctrl-C (exit 0).

import type { ControlClient } from "../control/control-client.ts";
import type { EventJson } from "../control/event-json.ts";
import type { StatusSnapshot } from "../control/snapshot.ts";
import { EXIT_OK, type StatusIO, useColor } from "./status-plan.ts";
import { formatEvent } from "../control/status-table.ts";
import { type StatsLine, WatchModel } from "../control/watch-view.ts";

export interface WatchOptions {
  io: StatusIO;
  json: boolean;
  /** A new connection to the same daemon, with the same token. */
  connect(): Promise<ControlClient>;
  /** Between ticks (1000). */
  intervalMs?: number;
  /** Between reconnect attempts (1000). */
  retryMs?: number;
}

/** Each line of `--watch --json` (docs/schema/watch.schema.json). */
export type WatchLine =
  | { type: "snapshot"; at_ms: number; snapshot: StatusSnapshot }
  | StatsLine
  | { type: "event"; at_ms: number; event: EventJson }
  | { type: "disconnected"; at_ms: number; reason: string }
  | { type: "reconnected"; at_ms: number };

const CLEAR = "\x1b[H\x1b[2J";

function stopSignal(io: StatusIO): { stopped: Promise<void>; isStopped: () => boolean } {
  let done = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      done = true;
      resolve();
    };
    if (io.abort) {
      if (io.abort.aborted) stop();
      io.abort.addEventListener("abort", stop, { once: true });
    } else {
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    }
  });
  return { stopped, isStopped: () => done };
}

export async function runWatch(first: ControlClient, o: WatchOptions): Promise<number> {
  const { io } = o;
  const tty = io.isTTY && !o.json;
  const model = new WatchModel();
  const stop = stopSignal(io);
  const line = (l: WatchLine) => io.out(`${JSON.stringify(l)}\n`);
  let stats: StatsLine | undefined;
  const draw = () => io.out(`${CLEAR}${model.render(stats, useColor(io))}`);
  let client: ControlClient | undefined = first;
  while (client && !stop.isStopped()) {
    const lost = await session(
      client,
      o,
      model,
      line,
      draw,
      (s) => {
        stats = s;
      },
      stop.stopped,
    );
    client.close();
    client = undefined;
    if (stop.isStopped() || lost === undefined) break;
    const at = Date.now();
    if (o.json) line({ type: "disconnected", at_ms: at, reason: lost });
    else if (tty) {
      model.notice = `lost the daemon at ${clock(at)} (${lost}): reconnecting every ${(o.retryMs ?? 1000) / 1000}s`;
      draw();
    } else io.out(`${new Date(at).toISOString()} disconnected: ${lost}; reconnecting\n`);
    client = await reconnect(o, stop);
    if (!client) break;
    const back = Date.now();
    if (o.json) line({ type: "reconnected", at_ms: back });
    else if (tty) model.notice = `reconnected at ${clock(back)}`;
    else io.out(`${new Date(back).toISOString()} reconnected\n`);
  }
  client?.close();
  return EXIT_OK;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

async function reconnect(
  o: WatchOptions,
  stop: { stopped: Promise<void>; isStopped: () => boolean },
): Promise<ControlClient | undefined> {
  while (!stop.isStopped()) {
    await Promise.race([Bun.sleep(o.retryMs ?? 1000), stop.stopped]);
    if (stop.isStopped()) return undefined;
    try {
      return await o.connect();
    } catch {
      // Still down (or restarting): try again after the pause.
    }
  }
  return undefined;
}

/** One connection's life: resolves with why it was lost, or undefined when the watch was stopped. */
async function session(
  c: ControlClient,
  o: WatchOptions,
  model: WatchModel,
  line: (l: WatchLine) => void,
  draw: () => void,
  setStats: (s: StatsLine) => void,
  stopped: Promise<void>,
): Promise<string | undefined> {
  const { io } = o;
  const tty = io.isTTY && !o.json;
  let lostWhy: (why: string) => void = () => {};
  const lost = new Promise<string>((resolve) => {
    lostWhy = resolve;
  });
  c.onClose((why) => lostWhy(why.message));
  c.onEvent((e) => {
    model.event(e);
    if (o.json) line({ type: "event", at_ms: e.at_ms, event: e });
    else if (!tty) io.out(`${formatEvent(e)}\n`);
    else draw();
  });
  let timer: Timer | undefined;
  try {
    await c.request("subscribe");
    const s0 = (await c.request("status")) as StatusSnapshot;
    model.reset(s0);
    if (o.json) line({ type: "snapshot", at_ms: s0.generated_at_ms, snapshot: s0 });
    else if (tty) draw();
    else io.out(`watching ${new Date().toISOString()}\n`);
    let busy = false;
    timer = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        const s = (await c.request("status")) as StatusSnapshot;
        const st = model.tick(s);
        setStats(st);
        if (o.json) line(st);
        else if (tty) draw();
      } catch {
        // A tick that fails is the connection going: onClose says so.
      } finally {
        busy = false;
      }
    }, o.intervalMs ?? 1000);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const r = await Promise.race([lost, stopped.then(() => undefined)]);
  clearInterval(timer);
  return r;
}
