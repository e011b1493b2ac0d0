// The bytes kept for a retry or a held body: ranges replayed in order, the bound, and reuse.

import { describe, expect, test } from "bun:test";
import { RETAIN_MAX, Retained } from "../../core/switch/retained.ts";
import { Out } from "../../core/switch/out.ts";
import { recordingOut } from "./helpers.ts";

describe("Retained", () => {
  test("replays its ranges in order, strings and buffers alike", () => {
    const k = new Retained();
    const b = Buffer.from("xxBODYyy");
    k.add("HEAD\r\n", 0, 6);
    k.add(b, 2, 6);
    expect(k.bytes).toBe(10);
    const r = recordingOut(new Out());
    k.writeTo(r.out);
    expect(r.text()).toBe("HEAD\r\nBODY");
  });

  test("the bound: fits until it would pass; drop forgets everything for the request", () => {
    const k = new Retained(10);
    k.add("12345", 0, 5);
    expect(k.fits(5)).toBe(true);
    expect(k.fits(6)).toBe(false);
    k.drop();
    expect(k.whole).toBe(false);
    expect(k.count).toBe(0);
    const r = recordingOut(new Out());
    k.writeTo(r.out);
    expect(r.text()).toBe("");
  });

  test("reset starts a new request whole and empty", () => {
    const k = new Retained(4);
    k.add("abcdef", 0, 6);
    k.drop();
    k.reset();
    expect([k.whole, k.bytes, k.count]).toEqual([true, 0, 0]);
    k.add("ab", 0, 2);
    const r = recordingOut(new Out());
    k.writeTo(r.out);
    expect(r.text()).toBe("ab");
  });

  test("the default bound is 64 KiB", () => {
    expect(new Retained().max).toBe(RETAIN_MAX);
    expect(RETAIN_MAX).toBe(65536);
  });
});
