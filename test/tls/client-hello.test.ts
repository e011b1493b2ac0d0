// The ClientHello reader: the server name and ALPN from one record or several, "more" until complete,
// not_tls for anything else, too_big past the limit, and no throw on any input (fuzzed).

import { describe, expect, test } from "bun:test";
import { CLIENT_HELLO_MAX, readClientHello } from "../../core/tls/client-hello.ts";
import { clientHello } from "./hello.ts";

describe("readClientHello", () => {
  test("reads the server name (lower case, trailing dot dropped) and the ALPN offer", () => {
    expect(readClientHello(clientHello({ sni: "API.Example.com.", alpn: ["h2", "http/1.1"] }))).toEqual({
      kind: "hello",
      serverName: "api.example.com",
      alpn: ["h2", "http/1.1"],
    });
    expect(readClientHello(clientHello())).toEqual({ kind: "hello", serverName: undefined, alpn: [] });
  });

  test("a hello split over records, and bytes arriving one at a time: more, then the name", () => {
    const b = clientHello({ sni: "a.test", recordSize: 7 });
    for (let n = 0; n < b.length; n++) expect(readClientHello(b.subarray(0, n)).kind).toBe("more");
    expect(readClientHello(b)).toMatchObject({ kind: "hello", serverName: "a.test" });
  });

  test("plain HTTP, another record type, a name with a forbidden byte: not_tls", () => {
    expect(readClientHello(Buffer.from("GET / HTTP/1.1\r\n\r\n")).kind).toBe("not_tls");
    const alert = Buffer.from([21, 3, 3, 0, 2, 2, 40]);
    expect(readClientHello(alert).kind).toBe("not_tls");
    expect(readClientHello(clientHello({ sni: "a\u0000b.test" })).kind).toBe("not_tls");
  });

  test("a hello larger than CLIENT_HELLO_MAX is too_big, before all of it arrives", () => {
    const big = clientHello({ sni: "a.test", padding: CLIENT_HELLO_MAX });
    expect(readClientHello(big.subarray(0, 100)).kind).toBe("too_big");
  });

  test("fuzz: truncations and byte flips of real hellos never throw", () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const bases = [clientHello({ sni: "a.test", alpn: ["h2"] }), clientHello({ sni: "x.y", recordSize: 20 })];
    const kinds = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.from(bases[i % 2]!);
      for (let k = rnd() % 4; k >= 0; k--) b[rnd() % b.length] = rnd() & 255;
      const cut = b.subarray(0, rnd() % (b.length + 1));
      kinds.add(readClientHello(cut).kind);
    }
    expect([...kinds].sort()).toEqual(["hello", "more", "not_tls", "too_big"]);
  });
});
