// [global] max_held_bytes (a size) and the [[virtual_server]] keys server_timeout and client_timeout:
// their defaults, their syntax, and errors at FILE:LINE:COLUMN.

import { expect, test } from "bun:test";
import { ConfigError, parseConfig } from "../../core/config/load.ts";
import { parseSize } from "../../core/config/values.ts";

const VS = `[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8080"]
pool = "app"
`;
const POOL = `
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

test("defaults: 64 MiB held, 30 s for a stalled server or client", () => {
  const cfg = parseConfig(VS + POOL, "t.toml");
  expect(cfg.global.max_held_bytes).toBe(64 * 1024 * 1024);
  expect(cfg.virtual_server[0]!.server_timeout).toBe(30_000);
  expect(cfg.virtual_server[0]!.client_timeout).toBe(30_000);
});

test("set in the file", () => {
  const cfg = parseConfig(
    `[global]\nmax_held_bytes = "512KiB"\n${VS}server_timeout = "5s"\nclient_timeout = "1m"\n${POOL}`,
    "t.toml",
  );
  expect(cfg.global.max_held_bytes).toBe(512 * 1024);
  expect(cfg.virtual_server[0]!.server_timeout).toBe(5000);
  expect(cfg.virtual_server[0]!.client_timeout).toBe(60_000);
});

test("sizes: bytes or a binary unit; nothing ambiguous", () => {
  expect(parseSize(65536)).toEqual({ ok: true, value: 65536 });
  expect(parseSize("64MiB")).toEqual({ ok: true, value: 64 * 1024 * 1024 });
  expect(parseSize("1.5GiB")).toEqual({ ok: true, value: 1.5 * 1024 ** 3 });
  expect(parseSize("100B")).toEqual({ ok: true, value: 100 });
  for (const bad of ["64MB", "64 MiB", "-1", "", "MiB", -5, 1.5, true]) expect(parseSize(bad).ok).toBe(false);
});

test("mistakes are reported at their line and column with the fix", () => {
  const text = `[global]\nmax_held_bytes = "64 megs"\n${VS}server_timeout = 30\nclient_timeout = "soon"\n${POOL}`;
  expect(problems(text)).toEqual([
    '2:1 global.max_held_bytes: invalid size "64 megs": use a number of bytes or a number with a unit (B, KiB, MiB, GiB), e.g. "64MiB", "512KiB"',
    '7:1 virtual_server[0].server_timeout: invalid duration 30: a bare number has no unit; write "30s" or "30ms"',
    '8:1 virtual_server[0].client_timeout: invalid duration "soon": use a number with a unit (ms, s, m, h), e.g. "2s", "500ms", "1m30s"',
  ]);
  expect(problems(`[global]\nmax_held_bytes = "1KiB"\n${VS}${POOL}`)).toEqual([
    '2:1 global.max_held_bytes: size "1KiB" is too small: at least 65536 bytes',
  ]);
});
