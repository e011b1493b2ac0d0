// normaliseRequest and upgradeAccepted on parsed heads: the edge cases behind normalised-head.test.ts.

import { describe, expect, test } from "bun:test";
import { DEFAULT_LIMITS, type RequestHead, type ResponseHead, scanHead } from "../../core/http/head.ts";
import { normaliseRequest, upgradeAccepted } from "../../core/switch/normalise-request.ts";

function head<T>(wire: string, kind: "request" | "response"): T {
  const s = wire.endsWith("\r\n\r\n") ? wire.slice(0, -2) : wire;
  return scanHead(s, true, kind, DEFAULT_LIMITS, wire.length) as T;
}
const request = (w: string) => head<RequestHead>(w, "request");
const response = (w: string) => head<ResponseHead>(w, "response");
const fields = (h: RequestHead) => h.names.map((n, i) => `${n}: ${h.values[i]}`);

describe("absolute-form to origin-form", () => {
  test.each([
    ["GET http://a.test/x?q=1 HTTP/1.1\r\nHost: b.test\r\n\r\n", "/x?q=1", "a.test"],
    ["GET http://a.test HTTP/1.1\r\nHost: a.test\r\n\r\n", "/", "a.test"],
    ["GET http://a.test?q HTTP/1.1\r\nHost: a.test\r\n\r\n", "/?q", "a.test"],
    ["OPTIONS http://a.test HTTP/1.1\r\nHost: a.test\r\n\r\n", "*", "a.test"],
    ["OPTIONS http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", "/", "a.test"],
    ["GET https://[::1]:8443/p HTTP/1.1\r\nHost: x\r\n\r\n", "/p", "[::1]:8443"],
  ])("%j", (wire, target, host) => {
    const h = request(wire);
    normaliseRequest(h, ["websocket"]);
    expect(h.target).toBe(target);
    expect(fields(h)).toEqual([`host: ${host}`]);
    expect(h.normalised).toBe(true);
  });

  test("HTTP/1.0 without Host gets one, first", () => {
    const h = request("GET http://A.test/x HTTP/1.0\r\nAccept: */*\r\n\r\n");
    normaliseRequest(h, []);
    expect(h.target).toBe("/x");
    expect(fields(h)).toEqual(["host: a.test", "accept: */*"]);
  });

  test("origin-form without Upgrade is left alone", () => {
    const h = request("GET /x HTTP/1.1\r\nHost: b\r\n\r\n");
    normaliseRequest(h, []);
    expect(h.target).toBe("/x");
    expect(h.normalised).toBe(false);
  });
});

describe("upgrade filter", () => {
  const up = (u: string) => `GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n${u}\r\n`;
  test.each([
    ["Upgrade: websocket\r\n", ["websocket"], "websocket", ["upgrade: websocket"]],
    ["Upgrade: h2c\r\n", ["websocket"], undefined, []],
    ["Upgrade: h2c, WebSocket/13\r\n", ["websocket"], "websocket/13", ["upgrade: WebSocket/13"]],
    ["Upgrade: websocket\r\nUpgrade: h2c\r\n", ["websocket"], "websocket", ["upgrade: websocket"]],
    ["Upgrade: h2c\r\nUpgrade: websocket\r\n", ["websocket"], "websocket", ["upgrade: websocket"]],
    [
      "Upgrade: h2c\r\nUpgrade: websocket\r\n",
      ["websocket", "h2c"],
      "h2c, websocket",
      ["upgrade: h2c, websocket"],
    ],
    ["Upgrade: websocket\r\n", [], undefined, []],
  ])("%j allowed %j", (u, allowed, want, upgradeFields) => {
    const h = request(up(u));
    normaliseRequest(h, allowed);
    expect(h.upgrade).toBe(want);
    expect(fields(h).filter((f) => f.startsWith("upgrade:"))).toEqual(upgradeFields);
    expect(fields(h)).toContain("connection: upgrade");
  });

  test("a 101 opens a tunnel only for a protocol the request still offers, named by the server", () => {
    const ws = request(up("Upgrade: websocket\r\n"));
    normaliseRequest(ws, ["websocket"]);
    const sw = (u: string) => response(`HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n${u}\r\n`);
    expect(upgradeAccepted(sw("Upgrade: WebSocket\r\n"), ws)).toBe(true);
    expect(upgradeAccepted(sw("Upgrade: h2c\r\n"), ws)).toBe(false);
    expect(upgradeAccepted(sw("Upgrade: websocket, h2c\r\n"), ws)).toBe(false);
    expect(upgradeAccepted(sw(""), ws)).toBe(false);
    const dropped = request(up("Upgrade: h2c\r\n"));
    normaliseRequest(dropped, ["websocket"]);
    expect(upgradeAccepted(sw("Upgrade: h2c\r\n"), dropped)).toBe(false);
  });
});
