// The retry decision on its own: every failure kind against every condition that forbids a retry.

import { describe, expect, test } from "bun:test";
import { GIVE_UP, RETRY, RETRY_FREE, retryDecision } from "../../core/switch/retry.ts";

describe("retryDecision", () => {
  test("refused or not connected in time: retried whatever the method (the server saw nothing)", () => {
    for (const why of ["refused", "connect_timeout"] as const) {
      expect(retryDecision(why, true, true, false, "POST", 0, 2)).toBe(RETRY);
      expect(retryDecision(why, true, true, true, "POST", 1, 2)).toBe(RETRY);
    }
  });

  test("a failure of this host's (out of descriptors, of local ports) is never retried elsewhere", () => {
    expect(retryDecision("local", true, true, false, "GET", 0, 2)).toBe(GIVE_UP);
    expect(retryDecision("local", true, true, true, "GET", 0, 2)).toBe(GIVE_UP);
  });

  test("the retries run out", () => {
    expect(retryDecision("refused", true, true, false, "GET", 2, 2)).toBe(GIVE_UP);
    expect(retryDecision("refused", true, true, false, "GET", 0, 0)).toBe(GIVE_UP);
  });

  test("a fresh connection closed without a word: only idempotent methods", () => {
    for (const m of ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"])
      expect(retryDecision("closed", true, true, false, m, 0, 2)).toBe(RETRY);
    for (const m of ["POST", "PATCH", "CONNECT"])
      expect(retryDecision("closed", true, true, false, m, 0, 2)).toBe(GIVE_UP);
  });

  test("a reused connection closed without a word is free, even for POST and past the retries", () => {
    expect(retryDecision("closed", true, true, true, "POST", 0, 2)).toBe(RETRY_FREE);
    expect(retryDecision("closed", true, true, true, "GET", 5, 2)).toBe(RETRY_FREE);
    expect(retryDecision("closed", true, true, true, "GET", 0, 0)).toBe(RETRY_FREE);
  });

  test("never after a response byte, never without the whole request kept", () => {
    expect(retryDecision("refused", false, true, false, "GET", 0, 2)).toBe(GIVE_UP);
    expect(retryDecision("closed", false, true, true, "GET", 0, 2)).toBe(GIVE_UP);
    expect(retryDecision("refused", true, false, false, "GET", 0, 2)).toBe(GIVE_UP);
    expect(retryDecision("closed", true, false, true, "GET", 0, 2)).toBe(GIVE_UP);
  });

  test("a bad response is never retried", () => {
    expect(retryDecision("bad_response", true, true, true, "GET", 0, 2)).toBe(GIVE_UP);
    expect(retryDecision("bad_response", true, true, false, "GET", 0, 2)).toBe(GIVE_UP);
  });
});
