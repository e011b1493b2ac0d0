// upgrade_protocols: which protocols a request may Upgrade to through a virtual server.

import { describe, expect, test } from "bun:test";
import { ConfigError, parseConfig } from "../../core/config/load.ts";

const vs = (line: string) => `[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8080"]
pool = "app"
${line}
[pool.app]
  [[pool.app.server]]
  address = "127.0.0.1:9000"
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, "t.toml");
  } catch (e) {
    if (e instanceof ConfigError)
      return e.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe("upgrade_protocols", () => {
  test("defaults to websocket; names are lower-cased; an empty list allows none", () => {
    expect(parseConfig(vs(""), "t.toml").virtual_server[0]!.upgrade_protocols).toEqual(["websocket"]);
    expect(
      parseConfig(vs('upgrade_protocols = ["WebSocket", "h2c"]'), "t.toml").virtual_server[0]!
        .upgrade_protocols,
    ).toEqual(["websocket", "h2c"]);
    expect(parseConfig(vs("upgrade_protocols = []"), "t.toml").virtual_server[0]!.upgrade_protocols).toEqual(
      [],
    );
  });

  test("a value that is not an array of protocol names is refused at its line and column", () => {
    expect(problems(vs('upgrade_protocols = "websocket"'))).toEqual([
      '5:1 virtual_server[0].upgrade_protocols: expected an array of protocol names such as ["websocket"], got the string "websocket"',
    ]);
    expect(problems(vs('upgrade_protocols = ["websocket", 2, "web socket", "websocket/13"]'))).toEqual([
      "5:35 virtual_server[0].upgrade_protocols[1]: expected a protocol name string, got number 2",
      '5:38 virtual_server[0].upgrade_protocols[2]: invalid protocol name "web socket": use a token without a version, e.g. "websocket"',
      '5:52 virtual_server[0].upgrade_protocols[3]: invalid protocol name "websocket/13": use a token without a version, e.g. "websocket"',
    ]);
  });
});
