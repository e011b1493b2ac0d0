// The config types are inferred from the schema description; these lines hold the inference to what the
// code relies on. A regression fails `tsc -p .` (an @ts-expect-error with no error is itself an error).

import { expect, test } from "bun:test";
import { parseConfig } from "../../core/config/load.ts";
import type {
  CheckConfig,
  GlobalConfig,
  PoolConfig,
  RuleConfig,
  VirtualServerConfig,
  VrrpConfig,
} from "../../core/config/types.ts";

test("choices become literal unions, defaults make keys required, absent-means-something keys optional", () => {
  const version: VrrpConfig["version"] = 2;
  // @ts-expect-error VRRP has versions 2 and 3 only
  const badVersion: VrrpConfig["version"] = 4;
  const mode: VirtualServerConfig["mode"] = "tcp";
  // @ts-expect-error a mode is http or tcp
  const badMode: VirtualServerConfig["mode"] = "udp";
  const level: GlobalConfig["log_level"] = "warn";
  const proxy: VirtualServerConfig["proxy_protocol"] = 2;
  // @ts-expect-error PROXY protocol versions are 1 and 2 (0 = off)
  const badProxy: VirtualServerConfig["proxy_protocol"] = 3;
  const type: CheckConfig["type"] = "dns";
  // @ts-expect-error not a check type
  const badType: CheckConfig["type"] = "ftp";
  // A key with a default is always there; one without is optional.
  const interval: number = ({} as CheckConfig).interval;
  // @ts-expect-error host may be absent
  const host: string = ({} as CheckConfig).host;
  const rule: RuleConfig = { pool: "p" };
  const name: string = ({} as PoolConfig).name;
  expect([version, mode, level, proxy, type, rule.pool]).toEqual([2, "tcp", "warn", 2, "dns", "p"]);
  void [badVersion, badMode, badProxy, badType, interval, host, name];
});

test("the inferred shape is what the loader returns", () => {
  const cfg = parseConfig(
    '[[virtual_server]]\nname = "w"\nlisten = "127.0.0.1:1"\npool = "p"\n[pool.p]\n[[pool.p.server]]\naddress = "127.0.0.1:2"\n',
    "t.toml",
  );
  const vs: VirtualServerConfig = cfg.virtual_server[0]!;
  expect(vs.server_connect_timeout).toBe(3000);
  expect(cfg.pool.p!.server[0]!.name).toBe("127.0.0.1:2");
});
