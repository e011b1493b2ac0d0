// writeSection is read's inverse: a loaded config written back as TOML values reads as itself, with no
// problem. That is what lets a config built in code (a test's, tcpvs vrrp's guard) meet every rule.

import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Fields } from "../../core/config/fields.ts";
import { parseConfig } from "../../core/config/load.ts";
import { configSection } from "../../core/config/schema.ts";
import { readSection, writeSection } from "../../core/config/schema-kit.ts";

const RICH = `[global]
control = "127.0.0.1:9901"
grace = "1m30s"
max_held_bytes = "1MiB"
[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8080", "[::1]:8080"]
pool = "app"
  [[virtual_server.rule]]
  host = "*.Example.com"
  method = ["get"]
  header = "X-Api: ^v[0-9]"
  cookie = { name = "sid" }
  source = ["10.0.0.0/8"]
  path_regex = "^/u/(?<user>[a-z]+)"
  hash_capture = "user"
  pool = "app"
[pool.app]
persistence_timeout = "30s"
[pool.app.scheduler_options]
cookie = "srv"
  [[pool.app.server]]
  address = "unix:/run/app.sock"
  [[pool.app.check]]
  type = "http"
  delay_loop = "5s"
  status = [200, "300-399"]
  [[pool.app.check]]
  type = "expect"
  steps = [{ send = "PING", expect = "PONG" }]
[vrrp.V]
interface = "eth0"
virtual_router_id = 9
version = 2
advert_int = "3s"
nopreempt = true
virtual_ipaddress = ["10.0.0.100/24 dev eth1 label eth1:vip"]
track_interface = ["eth1", { name = "eth2", weight = -20 }]
track_pool = ["app"]
  [[vrrp.V.track_script]]
  script = "/bin/true"
  interval = "1500ms"
`;

test.each([
  ["a config using most kinds of key", RICH],
  ["the shipped example", readFileSync("examples/tcpvs.toml", "utf8")],
])("%s reads back as itself", (_name, text) => {
  const { file, ...cfg } = parseConfig(text, "t.toml");
  const f = new Fields();
  const again = readSection(f, configSection, writeSection(configSection, cfg), "");
  expect(f.issues).toEqual([]);
  expect(again).toEqual(cfg);
  expect(file).toBe("t.toml");
});
