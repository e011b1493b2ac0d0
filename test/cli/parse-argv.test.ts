// The one argument parser: typed values, and a UsageError with a stable code for each kind of mistake.
import { describe, expect, test } from "bun:test";
import { parseArgv } from "../../core/cli/parse-argv.ts";
import { UsageError } from "../../core/cli/usage-error.ts";

const SPECS = [
  { name: "config", short: "c", type: "string", arg: "PATH", description: "config file" },
  { name: "watch", short: "w", type: "boolean", description: "stream" },
  { name: "send", type: "string", multiple: true, arg: "TEXT", description: "send" },
] as const;

function usage(argv: string[], exitCode?: number): UsageError {
  try {
    parseArgv(argv, SPECS, { command: "status", exitCode });
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`no usage error for ${JSON.stringify(argv)}`);
}

describe("parseArgv", () => {
  test("long, short, inline and repeated values; positionals in order; -- ends the flags", () => {
    const r = parseArgv(["a", "-c", "x.toml", "--send=P1", "-w", "b", "--send", "P2", "--", "-z"], SPECS);
    expect(r.values.config).toBe("x.toml");
    expect(r.values.watch).toBe(true);
    expect(r.values.send).toEqual(["P1", "P2"]);
    expect(r.positionals).toEqual(["a", "b", "-z"]);
  });

  test("an absent option is absent, not false or empty", () => {
    const r = parseArgv([], SPECS);
    expect(r.values).toEqual({});
  });

  test("an unknown flag names the nearest known one", () => {
    const e = usage(["--confg", "x"]);
    expect(e.code).toBe("usage");
    expect(e.reason).toBe("unknown_option");
    expect(e.message).toBe('unknown flag "--confg" for "tcpvs status"; did you mean "--config"?');
    expect(e.exitCode).toBe(2);
    expect(usage(["-q"]).message).toBe('unknown flag "-q" for "tcpvs status"');
  });

  test("a value missing, or given to a boolean, is refused with its own code", () => {
    expect(usage(["--config"]).reason).toBe("missing_value");
    expect(usage(["--config"]).message).toBe("flag --config needs a value (PATH)");
    expect(usage(["--watch=yes"]).reason).toBe("unexpected_value");
  });

  test("the command's exit code travels with the error (Nagios: 3)", () => {
    expect(usage(["--bogus"], 3).exitCode).toBe(3);
  });
});
