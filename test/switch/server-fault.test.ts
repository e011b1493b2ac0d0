import { expect, test } from "bun:test";
import { faultReason } from "../../core/switch/server-fault.ts";

test("a fault's reason: the socket's errno in words first, then the switch's code", () => {
  expect(faultReason("refused", "ECONNREFUSED")).toBe("connection refused (ECONNREFUSED)");
  expect(faultReason("closed", "ECONNRESET")).toBe("connection reset (ECONNRESET)");
  expect(faultReason("refused")).toBe("connection refused");
  // An errno with no words of its own says what failed, not "refused".
  expect(faultReason("refused", "EADDRNOTAVAIL")).toBe("connect failed (EADDRNOTAVAIL)");
  expect(faultReason("closed", "EWHATEVER")).toBe("connection closed before a complete response (EWHATEVER)");
  expect(faultReason("closed")).toBe("connection closed before a complete response");
  expect(faultReason("connect_timeout")).toBe("no connection within server_connect_timeout");
  expect(faultReason("server_response_timeout")).toBe("no response within server_response_timeout");
  expect(faultReason("bad_response", undefined, 'Reject the status line "SPAM"')).toBe(
    'invalid response: Reject the status line "SPAM"',
  );
  // The parser's own code, when it came without a message.
  expect(faultReason("bad_status_line")).toBe("invalid response (bad_status_line)");
});
