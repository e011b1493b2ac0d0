// The waits of a client connection: which timeout bounds each, and the verdict when it runs out.

import { describe, expect, test } from "bun:test";
import {
  D_CLIENT,
  D_CONNECT,
  D_HEADER,
  D_IDLE,
  D_KEEPALIVE,
  D_NONE,
  D_RESPONSE,
  D_SERVER,
  expiry,
  timeoutFor,
  X_ANSWER,
  X_CLIENT_FAILED,
  X_CLOSE,
  X_CONNECT_FAILED,
  X_DESTROY,
  X_NOTHING,
  X_SERVER_FAILED,
} from "../../core/switch/deadlines.ts";
import { vsConfig } from "./helpers.ts";

describe("timeoutFor", () => {
  test("each wait takes its own key", () => {
    const cfg = vsConfig({
      client_header_timeout: 1,
      client_keepalive_timeout: 2,
      server_connect_timeout: 3,
      server_response_timeout: 4,
      idle_timeout: 5,
      server_timeout: 6,
      client_timeout: 7,
    });
    expect(
      [D_NONE, D_HEADER, D_KEEPALIVE, D_CONNECT, D_RESPONSE, D_IDLE, D_SERVER, D_CLIENT].map((k) =>
        timeoutFor(k, cfg),
      ),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("expiry", () => {
  test("a close that cannot finish is cut, whatever the wait", () => {
    for (const k of [D_HEADER, D_KEEPALIVE, D_CONNECT, D_RESPONSE, D_IDLE])
      expect(expiry(k, true, true, true, false).act).toBe(X_DESTROY);
  });

  test("a slow head (or held body) gets 408; a silent connection is just closed", () => {
    const x = expiry(D_HEADER, false, true, false, false);
    expect([x.act, x.status, x.code, x.counter]).toEqual([
      X_ANSWER,
      408,
      "client_header_timeout",
      "timeout.client_header",
    ]);
    const y = expiry(D_HEADER, false, false, false, false);
    expect([y.act, y.counter]).toEqual([X_CLOSE, "timeout.client_header"]);
  });

  test("keep-alive ends quietly", () => {
    const x = expiry(D_KEEPALIVE, false, true, false, false);
    expect([x.act, x.counter]).toEqual([X_CLOSE, "timeout.client_keepalive"]);
  });

  test("a connect timeout is a server failure (retried there, counted there)", () => {
    expect(expiry(D_CONNECT, false, true, true, false)).toMatchObject({
      act: X_CONNECT_FAILED,
      counter: undefined,
    });
    expect(expiry(D_CONNECT, false, true, false, false).act).toBe(X_NOTHING);
  });

  test("a slow server gets 504", () => {
    expect(expiry(D_RESPONSE, false, true, true, false)).toMatchObject({
      act: X_SERVER_FAILED,
      status: 504,
      code: "server_response_timeout",
      counter: "timeout.server_response",
    });
  });

  test("idle: 504 while a server is in the exchange, else cut; tunnels count apart", () => {
    expect(expiry(D_IDLE, false, true, true, false)).toMatchObject({
      act: X_SERVER_FAILED,
      status: 504,
      counter: "timeout.idle",
    });
    expect(expiry(D_IDLE, false, true, false, false)).toMatchObject({
      act: X_DESTROY,
      counter: "timeout.idle",
    });
    expect(expiry(D_IDLE, false, true, true, true)).toMatchObject({
      act: X_SERVER_FAILED,
      counter: "timeout.tunnel",
    });
    expect(expiry(D_IDLE, false, true, false, true)).toMatchObject({
      act: X_DESTROY,
      counter: "timeout.tunnel",
    });
  });

  test("a server stalled mid-response is the server's failure (server_timeout)", () => {
    expect(expiry(D_SERVER, false, true, true, false)).toMatchObject({
      act: X_SERVER_FAILED,
      status: 504,
      code: "server_timeout",
      counter: "timeout.server",
    });
    expect(expiry(D_SERVER, false, true, false, false).act).toBe(X_NOTHING);
  });

  test("a stalled client is the client's failure (client_timeout), with or without a server", () => {
    for (const hasServer of [true, false])
      expect(expiry(D_CLIENT, false, true, hasServer, false)).toMatchObject({
        act: X_CLIENT_FAILED,
        status: 408,
        code: "client_timeout",
        counter: "timeout.client",
      });
  });

  test("no wait, no verdict", () => {
    expect(expiry(D_NONE, false, true, true, false).act).toBe(X_NOTHING);
  });
});
