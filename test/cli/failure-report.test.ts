// The top-level catch reads the error's class and code: exit 2 for usage and config, 1 for the rest,
// the code shown for a TcpvsError, never a message searched for a number.
import { describe, expect, test } from "bun:test";
import { failureReport } from "../../core/cli/failure-report.ts";
import { UsageError } from "../../core/cli/usage-error.ts";
import { ConfigError } from "../../core/config/load.ts";
import { ControlError } from "../../core/control/control-error.ts";
import { TcpvsError } from "../../core/errors/tcpvs-error.ts";

describe("failureReport", () => {
  test("a usage error keeps its command's exit code and points at --help", () => {
    expect(failureReport(new UsageError("unknown_option", 'unknown flag "--x"', 3))).toEqual({
      text: 'tcpvs: unknown flag "--x"\nRun "tcpvs --help" for usage.\n',
      exitCode: 3,
    });
  });

  test("config errors and other usage-coded errors exit 2, without a code suffix", () => {
    expect(failureReport(new ConfigError("config_invalid", "Cannot use x.toml: 1 problem")).exitCode).toBe(2);
    const r = failureReport(new TcpvsError("usage", "Give --vip a value"));
    expect(r).toEqual({ text: "tcpvs: Give --vip a value\n", exitCode: 2 });
  });

  test("any other TcpvsError exits 1 and names its code", () => {
    const r = failureReport(new ControlError("no_socket", 'Cannot connect to "unix:/x": no such file'));
    expect(r).toEqual({
      text: 'tcpvs: Cannot connect to "unix:/x": no such file (no_socket)\n',
      exitCode: 1,
    });
  });

  test("a message that looks like a code changes nothing: only the class counts", () => {
    const r = failureReport(new Error("config_invalid (usage) 401"));
    expect(r.exitCode).toBe(1);
    expect(r.text).toBe("tcpvs: config_invalid (usage) 401\n");
    expect(failureReport("plain string").text).toBe("tcpvs: plain string\n");
  });
});
