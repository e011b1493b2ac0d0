import { expect, test } from "bun:test";
import { indexPositions, locate } from "../../core/config/positions.ts";

const SRC = `# comment [not.a.table]
[global]
control = "unix:/x" # trailing [comment]

[[virtual_server]]
name = "a"
listen = ["127.0.0.1:1",
          "127.0.0.1:2"]
  [[virtual_server.rule]]
  path = "/x"
  pool = "p"
  [[virtual_server.rule]]
  pool = "q"

[[virtual_server]]
name = """multi
[fake]
line"""
  [[virtual_server.rule]]
  pool = "r"

[pool.p]
server = [{ address = "1.2.3.4:5", weight = 2 }]
"quoted key".x = 1
`;

test("records keys, headers and array elements under validator paths", () => {
  const idx = indexPositions(SRC);
  expect(idx.get("global")).toEqual({ line: 2, column: 1 });
  expect(idx.get("global.control")).toEqual({ line: 3, column: 1 });
  expect(idx.get("virtual_server[0].listen[1]")).toEqual({ line: 8, column: 11 });
  expect(idx.get("virtual_server[0].rule[1].pool")).toEqual({ line: 13, column: 3 });
  expect(idx.get("virtual_server[1].rule[0].pool")).toEqual({ line: 20, column: 3 });
  expect(idx.get("pool.p.server[0].weight")).toEqual({ line: 23, column: 36 });
  expect(idx.get("pool.p.quoted key.x")).toEqual({ line: 24, column: 1 });
  expect(idx.has("fake")).toBe(false);
  expect(idx.has("not.a.table")).toBe(false);
});

test("locate falls back to the nearest written ancestor", () => {
  const idx = indexPositions(SRC);
  expect(locate(idx, "virtual_server[0].rule[0].host")).toEqual({ line: 9, column: 3 });
  expect(locate(idx, "nothing.here")).toEqual({ line: 1, column: 1 });
});
