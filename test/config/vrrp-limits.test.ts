// The VRRP protocol limits (RFC 3768 / RFC 5798) are part of the schema: `tcpvs config check` refuses at
// the key's line and column what a peer would refuse on the wire, and `tcpvs vrrp`'s own guard at start
// applies the same rule with the same words.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, parseConfig } from "../../core/config/load.ts";
import { validateVrrpConfig } from "../../core/vrrp/validate.ts";
import { vrrpDefaults } from "../vrrp/config.ts";

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

const instance = (extra: string) =>
  `[vrrp.V]\ninterface = "eth0"\nvirtual_router_id = 5\nvirtual_ipaddress = ["10.0.0.1/24"]\n${extra}`;

describe("VRRP limits in the schema", () => {
  test("version 2 carries whole seconds up to 255 s: 300s is refused at advert_int", () => {
    expect(problems(instance('version = 2\nadvert_int = "300s"\n'))).toEqual([
      '6:1 vrrp.V.advert_int: Use whole seconds (1-255 s) for advert_int with version 2, not "300000 ms"',
    ]);
    expect(problems(instance('version = 2\nadvert_int = "255s"\n'))).toEqual([]);
  });

  test("version 3 carries centiseconds: 15ms is refused at advert_int, 40.95s is the most", () => {
    expect(problems(instance('version = 3\n  advert_int = "15ms"\n'))).toEqual([
      '6:3 vrrp.V.advert_int: Use a multiple of 10 ms up to 40.95 s (40950 ms) for advert_int with version 3, not "15 ms"',
    ]);
    expect(problems(instance('advert_int = "40950ms"\n'))).toEqual([]);
    expect(problems(instance('advert_int = "41s"\n'))[0]).toStartWith(
      "5:1 vrrp.V.advert_int: Use a multiple of 10 ms",
    );
  });

  test("auth_pass is 8 bytes, not 8 characters: 5 characters of 2 bytes each are refused", () => {
    const pass = "ééééé";
    expect([pass.length, new TextEncoder().encode(pass).length]).toEqual([5, 10]);
    expect(problems(instance(`version = 2\nauth_pass = "${pass}"\n`))).toEqual([
      `6:1 vrrp.V.auth_pass: Shorten auth_pass to at most 8 bytes: "${pass}" is 10 bytes in UTF-8 (keepalived truncates)`,
    ]);
    expect(problems(instance('version = 2\nauth_pass = "12345678"\n'))).toEqual([]);
  });

  test("an instance with no VIP is refused at its key, as tcpvs vrrp refuses it at start", () => {
    expect(problems('[vrrp.V]\ninterface = "eth0"\nvirtual_router_id = 5\nvirtual_ipaddress = []\n')).toEqual(
      ["4:1 vrrp.V.virtual_ipaddress: add at least one address: an instance announces its VIPs"],
    );
  });

  test("tcpvs vrrp's guard at start words the same rule the same way", () => {
    const v = vrrpDefaults({
      name: "V",
      version: 2,
      advert_int: 300_000,
      virtual_ipaddress: [{ address: "10.0.0.1", prefix: 24 }],
    });
    expect(() => validateVrrpConfig(v)).toThrow(
      'Use whole seconds (1-255 s) for advert_int with version 2, not "300000 ms"',
    );
    expect(() => validateVrrpConfig({ ...v, advert_int: 1000, auth_pass: "ééééé" })).toThrow(
      "is 10 bytes in UTF-8",
    );
  });

  test("tcpvs config check reports all three at FILE:LINE:COLUMN and exits 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "tcpvs-vrrp-limits-"));
    try {
      const file = join(dir, "t.toml");
      writeFileSync(
        file,
        `${instance('version = 2\nadvert_int = "300s"\nauth_pass = "ééééé"\n')}[vrrp.W]\ninterface = "eth0"\nvirtual_router_id = 6\nvirtual_ipaddress = ["10.0.0.2/24"]\nadvert_int = "15ms"\n`,
      );
      const p = Bun.spawnSync(
        [process.execPath, join(import.meta.dir, "../../cmd/main.ts"), "config", "check", "-c", file],
        {
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const err = p.stderr.toString();
      expect(p.exitCode).toBe(2);
      expect(err).toContain(`${file}:6:1: vrrp.V.advert_int: Use whole seconds`);
      expect(err).toContain(`${file}:7:1: vrrp.V.auth_pass: Shorten auth_pass to at most 8 bytes`);
      expect(err).toContain(`${file}:12:1: vrrp.W.advert_int: Use a multiple of 10 ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
