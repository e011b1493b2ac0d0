// The control protocol: the message shapes both ends share and the one parser for requests, so the
// server never trusts a field it did not check. Version 1; see docs/control.md.

import type { EventJson } from "./event-json.ts";
import { ControlError } from "./control-error.ts";

export const PROTOCOL_VERSION = 1;
/** Largest frame either side accepts; a bigger one closes the connection (1009). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Path of the WebSocket endpoint on the control socket. */
export const CONTROL_PATH = "/control";

export type VrrpAction = "backup" | "normal" | "priority";

export type ControlRequest =
  | { method: "status" }
  | { method: "subscribe" }
  | { method: "unsubscribe" }
  | { method: "drain" | "enable" | "disable" | "check"; pool: string; server: string }
  | { method: "weight"; pool: string; server: string; weight: number }
  | { method: "reload" }
  | { method: "vrrp"; instance: string; action: VrrpAction; priority?: number };

export type ControlMethod = ControlRequest["method"];

export interface RequestFrame {
  v: number;
  id: number | string;
  method: string;
  params?: Record<string, unknown>;
}

export type ResponseFrame =
  | { v: number; id: number | string; ok: true; result: unknown }
  | { v: number; id: number | string | null; ok: false; error: { code: string; message: string } };

export interface EventFrame {
  v: number;
  event: EventJson;
}

export type ServerFrame = ResponseFrame | EventFrame;

const SERVER_METHODS = new Set(["drain", "enable", "disable", "check"]);
const MAX_WEIGHT = 65535;

function str(params: Record<string, unknown>, key: string): string {
  const v = params[key];
  if (typeof v !== "string" || v.length === 0 || v.length > 256) {
    throw new ControlError("bad_request", `Give "${key}" as a non-empty string`);
  }
  return v;
}

function int(params: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = params[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ControlError(
      "bad_request",
      `Give "${key}" as an integer from ${min} to ${max}, not ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** Parse one text frame into an id and a checked request; throws ControlError("bad_request"). */
export function parseRequest(text: string): { id: number | string; request: ControlRequest } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ControlError("bad_request", "Send JSON: the frame did not parse");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ControlError("bad_request", "Send a JSON object with v, id and method");
  }
  const f = raw as Partial<RequestFrame>;
  if (f.v !== PROTOCOL_VERSION) {
    throw new ControlError(
      "bad_version",
      `Speak protocol version ${PROTOCOL_VERSION}, not ${JSON.stringify(f.v)}`,
    );
  }
  const id = f.id;
  if (!(typeof id === "string" && id.length <= 64) && !(typeof id === "number" && Number.isFinite(id))) {
    throw new ControlError("bad_request", "Give each request an id (number or short string)");
  }
  const params = (typeof f.params === "object" && f.params !== null ? f.params : {}) as Record<
    string,
    unknown
  >;
  const method = f.method;
  if (typeof method !== "string") throw new ControlError("bad_request", "Give the request a method");
  try {
    return { id, request: parseMethod(method, params) };
  } catch (e) {
    if (e instanceof ControlError) e.id = id;
    throw e;
  }
}

function parseMethod(method: string, params: Record<string, unknown>): ControlRequest {
  if (method === "status" || method === "subscribe" || method === "unsubscribe" || method === "reload") {
    return { method };
  }
  if (SERVER_METHODS.has(method)) {
    return {
      method: method as "drain" | "enable" | "disable" | "check",
      pool: str(params, "pool"),
      server: str(params, "server"),
    };
  }
  if (method === "weight") {
    return {
      method,
      pool: str(params, "pool"),
      server: str(params, "server"),
      weight: int(params, "weight", 0, MAX_WEIGHT),
    };
  }
  if (method === "vrrp") {
    const action = str(params, "action");
    if (action !== "backup" && action !== "normal" && action !== "priority") {
      throw new ControlError("bad_request", `Use vrrp action backup, normal or priority, not "${action}"`);
    }
    const instance = str(params, "instance");
    if (action === "priority") return { method, instance, action, priority: int(params, "priority", 1, 254) };
    return { method, instance, action };
  }
  throw new ControlError("unknown_method", `Use a known method; "${method}" is not one`);
}
