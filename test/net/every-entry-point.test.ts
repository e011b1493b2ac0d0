// One address rule at every place an operator types an address: the config file, the `tcpvs check`
// target, the control client's --control and `tcpvs init --backend`. Each row is parsed by all four
// public entry points; they must agree (the same host, port and zone) or all refuse.

import { describe, expect, test } from "bun:test";
import { parseCheckArgs } from "../../core/cli/check-flags.ts";
import { ConfigError, parseConfig } from "../../core/config/load.ts";
import { parseControlAddress } from "../../core/control/control-client.ts";
import { answersFromFlags, parseInitFlags } from "../../core/init/init-answers.ts";
import { renderConfig } from "../../core/init/render-config.ts";

type Seen = { host: string; port: number } | "refused";

function serverOf(toml: string): Seen {
  try {
    const a = parseConfig(toml, "t.toml").pool.app!.server[0]!.address;
    return a.kind === "inet" ? { host: a.host, port: a.port } : "refused";
  } catch (e) {
    if (e instanceof ConfigError) return "refused";
    throw e;
  }
}

function attempt(fn: () => Seen): Seen {
  try {
    return fn();
  } catch {
    return "refused";
  }
}

const ENTRY_POINTS: Record<string, (text: string) => Seen> = {
  config: (text) =>
    serverOf(
      `[[virtual_server]]\nname = "web"\nlisten = ["127.0.0.1:8080"]\npool = "app"\n\n[pool.app]\n  [[pool.app.server]]\n  address = ${JSON.stringify(text)}\n`,
    ),
  "check CLI": (text) =>
    attempt(() => {
      const t = parseCheckArgs(["tcp", text]).target!;
      return t.kind === "inet" ? { host: t.host, port: t.port } : "refused";
    }),
  "control client": (text) =>
    attempt(() => {
      const t = parseControlAddress(text);
      return t.kind === "tcp" ? { host: t.host, port: t.port } : "refused";
    }),
  init: (text) =>
    attempt(() => {
      const flags = parseInitFlags([
        ...["--role", "master", "--vip", "10.0.0.100/24", "--interface", "eth0", "--vrid", "51"],
        ...["--check", "tcp", "--out", "a.toml", "--peer-out", "b.toml", "--backend", text],
      ]);
      // What init writes must be what the config reads: go through the rendered file.
      return serverOf(renderConfig(answersFromFlags(flags), "master"));
    }),
};

const ROWS: Array<[string, Seen]> = [
  ["[fe80::1%eth0]:8080", { host: "fe80::1%eth0", port: 8080 }],
  ["[FE80::0:1%eth0]:8080", { host: "fe80::1%eth0", port: 8080 }],
  ["[2001:db8::1]:8080", { host: "2001:db8::1", port: 8080 }],
  ["10.0.0.5:8080", { host: "10.0.0.5", port: 8080 }],
  // A zone names a link: only a link-local address has one.
  ["[2001:db8::1%eth0]:8080", "refused"],
  ["10.0.0.5%eth0:8080", "refused"],
  ["[fe80::1%]:8080", "refused"],
  // No DNS at run time: names are refused everywhere, init included.
  ["app.internal:8080", "refused"],
  ["fe80::1:8080", "refused"],
  ["10.0.0.5:0", "refused"],
];

describe("every place that takes an address parses it the same way", () => {
  for (const [text, want] of ROWS) {
    test(text, () => {
      const seen = Object.fromEntries(
        Object.entries(ENTRY_POINTS).map(([name, parse]) => [name, parse(text)]),
      );
      expect(seen).toEqual(Object.fromEntries(Object.keys(ENTRY_POINTS).map((name) => [name, want])));
    });
  }
});
