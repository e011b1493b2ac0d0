// The client end used by `tcpvs status` (and the tests): one WebSocket from the `ws` API (ws+unix:
// addresses, custom headers for the token; under Bun this is Bun's built-in "ws", see docs/control.md),
// requests matched to answers by id, events handed to a listener. A failed connection becomes a
// ControlError read from what `ws` reports (the upgrade's HTTP status, the errno), never from a message.

import WebSocket from "ws";
import { readEndpoint } from "../net/endpoint.ts";
import { ControlError } from "./control-error.ts";
import type { EventJson } from "./event-json.ts";
import { CONTROL_PATH, PROTOCOL_VERSION, type ServerFrame } from "./protocol.ts";

export type ControlTarget = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number };

/** "unix:/run/tcpvs/control.sock", "/run/tcpvs/control.sock", "127.0.0.1:7070", "[::1]:7070" (core/net/endpoint.ts). */
export function parseControlAddress(text: string): ControlTarget {
  const r = readEndpoint(text);
  if (!r.ok)
    throw new ControlError("bad_config", `Give the control address as unix:/path or host:port: ${r.error}`);
  const e = r.value;
  return e.kind === "unix" ? { kind: "unix", path: e.path } : { kind: "tcp", host: e.host, port: e.port };
}

function targetText(t: ControlTarget): string {
  return t.kind === "unix" ? `unix:${t.path}` : `${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
}

function wsUrl(t: ControlTarget): string {
  if (t.kind === "unix") return `ws+unix://${t.path}:${CONTROL_PATH}`;
  return `ws://${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}${CONTROL_PATH}`;
}

/** Why a connection failed, from what `ws` reports: the HTTP status of a refused upgrade, or an errno. */
type Failure = { status: number } | { errno: string | undefined; detail: string };

function explain(t: ControlTarget, f: Failure): ControlError {
  const where = `"${targetText(t)}"`;
  if ("status" in f) {
    if (f.status === 401) return new ControlError("bad_token", `Cannot use ${where}: bad or missing token`);
    if (f.status === 403) return new ControlError("forbidden", `Cannot use ${where}: refused (403)`);
    return new ControlError("connect_failed", `Cannot connect to ${where}: the daemon answered ${f.status}`);
  }
  switch (f.errno) {
    case "ENOENT":
      return new ControlError(
        "no_socket",
        `Cannot connect to ${where}: no such file (is the daemon running?)`,
      );
    case "ECONNREFUSED":
      return new ControlError("refused", `Cannot connect to ${where}: nothing is listening there`);
    case "EACCES":
    case "EPERM":
      return new ControlError("permission_denied", `Cannot connect to ${where}: permission denied`);
    case "ENOTSOCK":
      return new ControlError("no_socket", `Cannot connect to ${where}: not a socket`);
    case "ETIMEDOUT":
      return new ControlError("timeout", `Cannot connect to ${where}: timed out`);
  }
  return new ControlError(
    "connect_failed",
    `Cannot connect to ${where}: ${f.errno ?? (f.detail || "failed")}`,
  );
}

export interface ClientOptions {
  token?: string;
  /** Who we are, for the daemon's action log ("user@host pid"). */
  clientName?: string;
  timeoutMs?: number;
}

export class ControlClient {
  private readonly ws: WebSocket;
  private readonly target: ControlTarget;
  private readonly timeoutMs: number;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: ControlError) => void; timer: Timer }
  >();
  private eventListener: ((e: EventJson) => void) | undefined;
  private closeListener: ((why: ControlError) => void) | undefined;
  private closedByUs = false;

  private constructor(ws: WebSocket, target: ControlTarget, timeoutMs: number) {
    this.ws = ws;
    this.target = target;
    this.timeoutMs = timeoutMs;
    ws.on("message", (data) => this.onFrame(String(data)));
    ws.on("close", (code, reason) => {
      if (this.closedByUs) return;
      const why = new ControlError(
        "closed",
        `Lost "${targetText(target)}": closed (${code}${reason.length ? ` ${reason}` : ""})`,
      );
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(why);
      }
      this.pending.clear();
      this.closeListener?.(why);
    });
  }

  static async connect(address: string | ControlTarget, opts: ClientOptions = {}): Promise<ControlClient> {
    const target = typeof address === "string" ? parseControlAddress(address) : address;
    const timeoutMs = opts.timeoutMs ?? 5000;
    const headers: Record<string, string> = {};
    if (opts.token) headers["authorization"] = `Bearer ${opts.token}`;
    if (opts.clientName) headers["x-tcpvs-client"] = opts.clientName;
    const ws = new WebSocket(wsUrl(target), { headers });
    const failure = await new Promise<Failure | undefined>((resolve) => {
      const timer = setTimeout(() => resolve({ errno: "ETIMEDOUT", detail: "timed out" }), timeoutMs);
      const done = (f: Failure | undefined) => {
        clearTimeout(timer);
        resolve(f);
      };
      ws.once("open", () => done(undefined));
      // The daemon refused the upgrade: its HTTP status says why (401 token, 403 remote).
      ws.once("unexpected-response", (_req, res) => done({ status: res.statusCode ?? 0 }));
      ws.once("error", (e: Error & { code?: string }) => done({ errno: e.code, detail: e.message }));
    });
    if (failure) {
      ws.removeAllListeners();
      // A late error from the socket being torn down must not become an uncaught one.
      ws.on("error", () => {});
      ws.terminate();
      throw explain(target, failure);
    }
    return new ControlClient(ws, target, timeoutMs);
  }

  onEvent(fn: (e: EventJson) => void): void {
    this.eventListener = fn;
  }

  onClose(fn: (why: ControlError) => void): void {
    this.closeListener = fn;
  }

  /** Send one request; resolves with its result or rejects with the daemon's ControlError. */
  request(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ControlError("timeout", `No answer to "${method}" from "${targetText(this.target)}"`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, id, method, params }));
    });
  }

  /** Send a raw frame (tests use it for malformed input). */
  sendRaw(data: string): void {
    this.ws.send(data);
  }

  private onFrame(text: string): void {
    let f: ServerFrame;
    try {
      f = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    if ("event" in f) {
      this.eventListener?.(f.event);
      return;
    }
    const p = typeof f.id === "number" ? this.pending.get(f.id) : undefined;
    if (!p) return;
    this.pending.delete(f.id as number);
    clearTimeout(p.timer);
    if (f.ok) p.resolve(f.result);
    else {
      const e = new ControlError(f.error.code as ControlError["code"], f.error.message);
      e.id = f.id;
      p.reject(e);
    }
  }

  close(): void {
    this.closedByUs = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.ws.close();
  }
}
