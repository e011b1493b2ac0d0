// The response side on its own: which heads reach the client, as is or rebuilt, and when the client
// connection may stay open.

import { describe, expect, test } from "bun:test";
import type { RequestHead, ResponseHead } from "../../core/http/head.ts";
import { HttpParser } from "../../core/http/parser.ts";
import {
  R_BAD_UPGRADE,
  R_FINAL,
  R_INFORMATIONAL,
  R_UPGRADE,
  ResponseRelay,
} from "../../core/switch/response-relay.ts";
import { Out } from "../../core/switch/out.ts";
import { recordingOut } from "./helpers.ts";

function request(wire: string): RequestHead {
  let h: RequestHead | undefined;
  new HttpParser<RequestHead>("request", { onHead: (x) => (h = x), onEnd: () => {} }).execute(
    Buffer.from(wire),
  );
  return h!;
}

/** Feed a response head to `relay` as the server connection's parser would; returns the verdicts. */
function relayHeads(relay: ResponseRelay, req: RequestHead, wire: string, mayKeep = true): number[] {
  const verdicts: number[] = [];
  const p: HttpParser<ResponseHead> = new HttpParser<ResponseHead>("response", {
    onHead: (h) => verdicts.push(relay.head(h, p, req, mayKeep, undefined)),
    onEnd: () => {},
  });
  p.requestMethod = req.method;
  p.execute(Buffer.from(wire));
  return verdicts;
}

const GET11 = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const OK = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";

describe("ResponseRelay", () => {
  test("a plain keep-alive response passes byte for byte", () => {
    const r = recordingOut(new Out());
    const relay = new ResponseRelay(r.out);
    expect(relayHeads(relay, request(GET11), OK)).toEqual([R_FINAL]);
    expect(r.text()).toBe(OK);
    expect([relay.started, relay.keepClient, relay.serverKeep]).toEqual([true, true, true]);
  });

  test("the client connection closes when we may not keep it, or the body runs to close", () => {
    const a = recordingOut(new Out());
    const relay = new ResponseRelay(a.out);
    relayHeads(relay, request(GET11), OK, false);
    expect(relay.keepClient).toBe(false);
    expect(a.text()).toContain("connection: close\r\n");
    const b = recordingOut(new Out());
    const r2 = new ResponseRelay(b.out);
    relayHeads(r2, request(GET11), "HTTP/1.1 200 OK\r\n\r\n");
    expect(r2.keepClient).toBe(false);
  });

  test("interim responses pass to HTTP/1.1 clients only; ours replaces the server's 100", () => {
    const a = recordingOut(new Out());
    const relay = new ResponseRelay(a.out);
    const wire = `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n${OK}`;
    expect(relayHeads(relay, request(GET11), wire)).toEqual([R_INFORMATIONAL, R_INFORMATIONAL, R_FINAL]);
    expect(a.text().startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n")).toBe(true);

    const b = recordingOut(new Out());
    const ours = new ResponseRelay(b.out);
    ours.sendContinue();
    relayHeads(ours, request(GET11), wire);
    expect(b.text().split("100 Continue").length - 1).toBe(1);
    expect(b.text()).toContain("103 Early Hints");

    const c = recordingOut(new Out());
    const old = new ResponseRelay(c.out);
    relayHeads(old, request("GET / HTTP/1.0\r\n\r\n"), wire);
    expect(c.text()).not.toContain("HTTP/1.1 1");
    // A reset forgets our own 100: the next request's server 100 is relayed again.
    ours.reset();
    expect(ours.continued).toBe(false);
  });

  test("101 only answers a request that asked to upgrade", () => {
    const a = recordingOut(new Out());
    const relay = new ResponseRelay(a.out);
    const up = "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n";
    expect(relayHeads(relay, request(GET11), up)).toEqual([R_BAD_UPGRADE]);
    expect(a.text()).toBe("");
    const ws = request("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
    expect(relayHeads(relay, ws, up)).toEqual([R_UPGRADE]);
    expect(a.text()).toContain("101 Switching Protocols");
  });

  test("a chunked response to an HTTP/1.0 client is de-chunked", () => {
    const a = recordingOut(new Out());
    const relay = new ResponseRelay(a.out);
    relayHeads(
      relay,
      request("GET / HTTP/1.0\r\n\r\n"),
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    expect(relay.dechunk).toBe(true);
    expect(a.text()).not.toContain("transfer-encoding");
  });
});
