// Malformed input never crashes the parser: valid messages are mutated at random (bytes flipped to the
// characters that matter to HTTP framing, dropped, repeated, cut short) and each result must either parse
// or stop with an HttpError; whole, byte-by-byte and random splits must reach the same verdict (so a
// request cannot mean one thing to tcpvs when it arrives in one read and another in several).

import { expect, test } from "bun:test";
import { HttpError } from "../../core/http/errors.ts";
import { mutateText, seeded } from "../fuzz.ts";
import { parse } from "./parse-helper.ts";

const REQUESTS = [
  "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n",
  "POST /up HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\nhello",
  "PUT /c HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n",
  "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
  "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
  "GET http://a.example:8080/x?y=1 HTTP/1.1\r\nHost: a.example:8080\r\nCookie: s=1\r\n\r\n",
  "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
];
const RESPONSES = [
  "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n",
  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
  "HTTP/1.0 200 OK\r\n\r\nread until close",
];
// The bytes HTTP framing turns on, and a few that must never pass.
const INTERESTING = '\r\n\0 \t:;,0123456789aAfF/-\x7f\x80\xff="';

const rnd = seeded(20261125);
const mutate = (s: string) =>
  mutateText(s, rnd, { alphabet: INTERESTING, maxEdits: 3, maxRepeat: 8, cut: true });

function check(kind: "request" | "response", wire: string): "ok" | "refused" {
  try {
    const o =
      kind === "request"
        ? parse("request", wire, { maxBodySize: 1000 })
        : parse("response", wire, {}, "GET", rnd(2) === 0);
    return o.error ? "refused" : "ok";
  } catch (e) {
    if (e instanceof HttpError) return "refused";
    const hexed = Buffer.from(wire, "latin1").toString("hex");
    throw new Error(`Parser failed on ${kind} ${JSON.stringify(wire)} (hex ${hexed}): ${e}`);
  }
}

test("4,000 mutated requests and 4,000 mutated responses: verdicts only, the same in every split", () => {
  const tally = { ok: 0, refused: 0 };
  for (let i = 0; i < 4000; i++) {
    tally[check("request", mutate(REQUESTS[i % REQUESTS.length]!))]++;
    tally[check("response", mutate(RESPONSES[i % RESPONSES.length]!))]++;
  }
  // Both outcomes were exercised: mutations that keep a message valid and ones that break it.
  expect(tally.ok).toBeGreaterThan(400);
  expect(tally.refused).toBeGreaterThan(400);
});
