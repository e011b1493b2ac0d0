// One duration rule for the file and the command line: `tcpvs check --timeout X` and a check's
// `timeout = "X"` accept the same texts with the same value, and refuse the same texts, a bare number
// included (it would be seconds to keepalived and milliseconds to HAProxy).

import { describe, expect, test } from "bun:test";
import { parseCheckArgs } from "../../core/cli/check-flags.ts";
import { ConfigError, parseConfig } from "../../core/config/load.ts";
import { readDuration } from "../../core/units/duration.ts";

function fromFile(value: string): number | "refused" {
  const toml = `[[virtual_server]]\nname = "web"\nlisten = ["127.0.0.1:8080"]\npool = "app"\n\n[pool.app]\n  [[pool.app.server]]\n  address = "127.0.0.1:9000"\n  [[pool.app.check]]\n  type = "tcp"\n  interval = "1h"\n  timeout = ${value}\n`;
  try {
    return parseConfig(toml, "t.toml").pool.app!.check[0]!.timeout;
  } catch (e) {
    if (e instanceof ConfigError) return "refused";
    throw e;
  }
}

function fromCli(value: string): number | "refused" {
  try {
    return parseCheckArgs(["tcp", "127.0.0.1:80", "--timeout", value]).check!.timeout;
  } catch {
    return "refused";
  }
}

describe("the CLI and the file agree on durations", () => {
  const rows: Array<[string, number | "refused"]> = [
    ["10", "refused"],
    ["1.5", "refused"],
    ["2s", 2000],
    ["500ms", 500],
    ["1m30s", 90_000],
    ["1.5s", 1500],
    ["2 s", "refused"],
    ["", "refused"],
  ];
  for (const [text, want] of rows) {
    test(JSON.stringify(text), () => {
      expect({ file: fromFile(JSON.stringify(text)), cli: fromCli(text) }).toEqual({ file: want, cli: want });
    });
  }

  test("a bare TOML number is refused like the bare number on the command line, with the fix", () => {
    expect(fromFile("10")).toBe("refused");
    let message = "";
    try {
      parseCheckArgs(["tcp", "127.0.0.1:80", "--timeout", "10"]);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('write "10s"');
    const r = readDuration(10);
    expect(r.ok ? r.value : r.error).toContain('write "10s"');
  });
});
