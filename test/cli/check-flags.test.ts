// `tcpvs check` flags are the check schema's keys: both spellings of a key are accepted, the values go
// through the same readers and rules as the file, and every flag sets what the config key sets.

import { describe, expect, test } from "bun:test";
import { CHECK_FLAGS, parseCheckArgs } from "../../core/cli/check-flags.ts";
import { checkSection } from "../../core/config/check-schema.ts";
import { parseConfig } from "../../core/config/load.ts";

describe("check flags from the schema", () => {
  test("--record-type and --record_type both set record_type (and --type still does)", () => {
    for (const flag of ["--record-type", "--record_type", "--type"])
      expect(parseCheckArgs(["dns", "127.0.0.1", flag, "aaaa"]).check?.record_type).toBe("AAAA");
    expect(parseCheckArgs(["http", "127.0.0.1", "--body_regex", "ok"]).check?.body_regex).toBe("ok");
  });

  test("every check key that means something for one check is a flag; the rest are not", () => {
    const keys = new Set(CHECK_FLAGS.map((f) => f.key));
    expect(Object.keys(checkSection.keys).filter((k) => !keys.has(k))).toEqual([
      "type",
      "interval",
      "rise",
      "fall",
      "retry",
      "delay_before_retry",
      "alpha",
      "warmup",
      // Whether a check in a TLS pool speaks TLS: a pool's, not a one-shot check's.
      "tls",
      "steps",
    ]);
  });

  test("a flag line and the same config table give the same check", () => {
    const cli = parseCheckArgs([
      "https",
      "127.0.0.1:8443",
      "--method",
      "head",
      "--path",
      "/h",
      "--status",
      "200,301-302",
      "--digest",
      "0123456789abcdef0123456789abcdef",
      "--insecure",
      "--http-version",
      "1.0",
      "--timeout",
      "1500ms",
      "--port",
      "9443",
    ]).check!;
    const file = parseConfig(
      `[[virtual_server]]\nname = "w"\nlisten = "127.0.0.1:1"\npool = "p"\n[pool.p]\n[[pool.p.server]]\naddress = "127.0.0.1:8443"\n[[pool.p.check]]\ntype = "https"\nmethod = "head"\npath = "/h"\nstatus = [200, "301-302"]\ndigest = "0123456789abcdef0123456789abcdef"\ntls_verify = false\nhttp_version = "1.0"\ntimeout = "1500ms"\nport = 9443\n`,
      "t.toml",
    ).pool.p!.check[0]!;
    expect(cli).toEqual(file);
  });

  test("a value the file refuses is refused on the command line, naming the flag as typed", () => {
    expect(() => parseCheckArgs(["http", "127.0.0.1", "--http_version", "2"])).toThrow(
      'Give --http_version as one of 1.0, 1.1: "2" is not one',
    );
    expect(() => parseCheckArgs(["http", "127.0.0.1", "--port", "70000"])).toThrow(
      "out of range: expected 1-65535",
    );
    expect(() => parseCheckArgs(["tcp", "127.0.0.1:1", "--timeout", "1m30"])).toThrow('"1m30" is not one');
    expect(() => parseCheckArgs(["tcp", "127.0.0.1:1", "--record-typ", "A"])).toThrow(
      'unknown flag "--record-typ"; did you mean "--record-type"?',
    );
  });
});
