// The field-name table (core/http/field-names.ts): every name it knows, and every name it does not,
// decodes to its lower-cased bytes; a name that shares a known name's hash is still itself; the names
// the decoder acts on act whatever their case.

import { describe, expect, test } from "bun:test";
import {
  CONNECTION,
  CONTENT_LENGTH,
  EXPECT,
  FIELD_NAMES,
  HOST,
  hashStep,
  knownName,
  LAST_ACTED_ON,
  TRANSFER_ENCODING,
  UPGRADE,
} from "../../core/http/field-names.ts";
import { DEFAULT_LIMITS, type RequestHead, scanHead } from "../../core/http/head.ts";

function hashOf(lower: string): number {
  let h = 0;
  for (let i = 0; i < lower.length; i++) h = hashStep(h, lower.charCodeAt(i));
  return h;
}

/** Mixed case, from a seed: the table must not depend on how a peer spells a name. */
function mixedCase(name: string, seed: number): string {
  let o = "";
  for (let i = 0; i < name.length; i++) o += (seed >> (i % 16)) & 1 ? name[i]!.toUpperCase() : name[i]!;
  return o;
}

function decode(fields: string): RequestHead {
  const s = `GET / HTTP/1.1\r\nHost: h\r\n${fields}`;
  return scanHead(s, true, "request", DEFAULT_LIMITS, s.length + 2) as RequestHead;
}

describe("field names", () => {
  test("the table is lower-case, without repeats, and starts with the names the decoder acts on", () => {
    expect(new Set(FIELD_NAMES).size).toBe(FIELD_NAMES.length);
    for (const n of FIELD_NAMES) expect(n).toBe(n.toLowerCase());
    const acted = [CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION, HOST, UPGRADE, EXPECT];
    expect(acted.map((i) => FIELD_NAMES[i])).toEqual([
      "content-length",
      "transfer-encoding",
      "connection",
      "host",
      "upgrade",
      "expect",
    ]);
    expect(Math.max(...acted)).toBe(LAST_ACTED_ON);
  });

  test("every known name, in any case, decodes to its lower-case self", () => {
    const skip = new Set(["content-length", "transfer-encoding", "connection", "host", "upgrade", "expect"]);
    const names = FIELD_NAMES.filter((n) => !skip.has(n));
    for (let seed = 0; seed < 4; seed++) {
      const spelled = names.map((n, i) => mixedCase(n, seed * 7919 + i * 31));
      const h = decode(spelled.map((n) => `${n}: v\r\n`).join(""));
      expect(h.names.slice(1)).toEqual(names);
      // Found in the table, whatever the case (no entry hidden by another's hash): no new string.
      for (let i = 0; i < names.length; i++)
        expect(knownName(spelled[i]!, 0, spelled[i]!.length, hashOf(names[i]!))).toBe(
          FIELD_NAMES.indexOf(names[i]!),
        );
    }
  });

  test("an unknown name decodes to its own bytes, lower-cased", () => {
    const h = decode("X-Seq: 1\r\nx-lower: 2\r\nMiXeD-9_Name~: 3\r\nA: 4\r\n");
    expect(h.names.slice(1)).toEqual(["x-seq", "x-lower", "mixed-9_name~", "a"]);
    expect(h.values.slice(1)).toEqual(["1", "2", "3", "4"]);
    expect(knownName("X-Seq", 0, 5, hashOf("x-seq"))).toBe(-1);
  });

  test("a name with a known name's hash but other bytes is not taken for it", () => {
    // Three tchar bytes that hash like "age" (or "dnt", "via"): the table's byte check must refuse them.
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~";
    const colliders: Array<[string, string]> = [];
    for (const target of ["age", "dnt", "via"]) {
      const want = hashOf(target);
      for (const a of alphabet)
        for (const b of alphabet)
          for (const c of alphabet) {
            const n = a + b + c;
            if (n !== target && hashOf(n) === want && colliders.length < 6) colliders.push([n, target]);
          }
    }
    expect(colliders.length).toBeGreaterThan(0);
    for (const [n, target] of colliders) {
      const h = decode(`${n.toUpperCase()}: x\r\n${target}: y\r\n`);
      expect(h.names.slice(1)).toEqual([n, target]);
      expect(knownName(n, 0, 3, hashOf(n))).toBe(-1);
    }
  });

  test("the names the decoder acts on act in any case", () => {
    const h = decode("cOnTeNt-LeNgTh: 12\r\nCONNECTION: close\r\nExPeCt: 100-continue\r\n");
    expect(h.contentLength).toBe(12);
    expect(h.keepAlive).toBe(false);
    expect(h.expectContinue).toBe(true);
    const t = decode("TRANSFER-ENCODING: chunked\r\n");
    expect(t.chunked).toBe(true);
    const u = decode("connection: Upgrade\r\nUPGRADE: WebSocket\r\n");
    expect(u.upgrade).toBe("websocket");
    const s = `GET / HTTP/1.1\r\nHOST: Example.ORG\r\n`;
    expect((scanHead(s, true, "request", DEFAULT_LIMITS, s.length + 2) as RequestHead).host).toBe(
      "example.org",
    );
    // A Content-Length value read in place still refuses what is not a number.
    expect(() => decode("Content-Length: 1x\r\n")).toThrow();
    expect(() => decode("Content-Length: 3\r\nCONTENT-LENGTH: 4\r\n")).toThrow();
  });
});
