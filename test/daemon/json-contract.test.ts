// The JSON contract: every --json output of the CLI, taken from real runs against a real daemon, is
// valid against its schema in docs/schema/ (errors included), and the validator itself refuses what
// breaks a schema, so a pass means something.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { SchemaSet } from "../json-schema.ts";
import {
  type Backend,
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  type Proc,
  runTcpvs,
  spawnTcpvs,
  startServe,
  statusJson,
  tempDir,
  waitFor,
  waitLine,
  writeConfig,
} from "./harness.ts";

const schemas = new SchemaSet(join(import.meta.dir, "..", "..", "docs", "schema"));
const FIXTURES = join(import.meta.dir, "..", "cli", "fixtures");

let p: Proc | undefined;
let backends: Backend[] = [];
let tmp: ReturnType<typeof tempDir>;
let port = 0;
let control = "";
let file = "";

beforeAll(async () => {
  tmp = tempDir();
  backends = [backend("b1"), backend("b2")];
  port = freePort();
  control = `unix:${tmp.dir}/control.sock`;
  file = writeConfig(tmp.dir, configText({ port, control, backends, checkInterval: "300ms" }));
  p = await startServe(file);
  // The outputs below are taken with both servers up: a first check may time out (200 ms) while the
  // data-path workers start on a busy machine, and the next one brings the server back.
  await waitFor(
    async () => (await statusJson(control)).pools[0]!.servers.every((s) => s.up),
    10_000,
    "both servers up",
  );
  await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
});

afterAll(async () => {
  if (p) {
    p.proc.kill("SIGTERM");
    await exitWithin(p, 8000);
  }
  killIfRunning(p);
  for (const b of backends) b.stop();
  tmp.cleanup();
});

/** Run the CLI, parse its stdout as one JSON document, and validate it against `schema`. */
async function valid(schema: string, args: string[], exit: number): Promise<Record<string, unknown>> {
  const r = await runTcpvs(args);
  expect({ args, code: r.code }).toEqual({ args, code: exit });
  const doc = JSON.parse(r.out) as Record<string, unknown>;
  expect({ args, errors: schemas.validate(schema, doc) }).toEqual({ args, errors: [] });
  return doc;
}

const ctl = () => ["--control", control];

describe("the validator", () => {
  test("refuses a missing key, an extra key, a wrong type, an uppercase state, a bad $ref target", () => {
    const ok = { version: "1", bun: "1.4.5", platform: "linux-x64" };
    expect(schemas.validate("version.schema.json", ok)).toEqual([]);
    expect(schemas.validate("version.schema.json", { version: "1", bun: "1" })).toEqual([
      '$: "platform" is missing',
    ]);
    expect(schemas.validate("version.schema.json", { ...ok, extra: 1 })).toEqual([
      '$: "extra" is not in the schema',
    ]);
    expect(schemas.validate("version.schema.json", { ...ok, bun: 1 })).toEqual([
      "$.bun: is integer, want string",
    ]);
    const ev = { type: "vrrp", instance: "VI_1", state: "MASTER", priority: 100, reason: "x", at_ms: 1 };
    expect(schemas.validate("event.schema.json", ev).join()).toContain('"MASTER" is not one of');
    expect(schemas.validate("event.schema.json", { ...ev, state: "master" })).toEqual([]);
    expect(schemas.validate("event.schema.json", { ...ev, state: "master", latencyMs: 1 }).length).toBe(1);
  });
});

describe("real outputs against docs/schema", () => {
  test("status --json, one server, one missing instance (an error), unreachable (an error)", async () => {
    const s = await valid("status.schema.json", ["status", "--json", ...ctl()], 0);
    expect((s.virtual_servers as unknown[]).length).toBe(1);
    const one = await runTcpvs(["status", "server", "app", "b1", "--json", "--is", "up", ...ctl()]);
    expect(one.code).toBe(0);
    const sv = JSON.parse(one.out);
    expect(sv).toMatchObject({ pool: "app", name: "b1", is: "up", matches: true });
    expect(schemas.validate("status.schema.json#/$defs/server", sv)).toEqual([]);
    expect(
      schemas.validate("status.schema.json", {
        ...(s as object),
        pools: [{ name: "app", quorum_up: true, servers: [sv], sorry_server: null }],
      }),
    ).toEqual([]);
    const nf = await valid("error.schema.json", ["status", "vrrp", "VI_9", "--json", ...ctl()], 1);
    expect(nf).toMatchObject({ ok: false, errors: [{ code: "not_found" }] });
    await valid("error.schema.json", ["status", "--json", "--control", `unix:${tmp.dir}/none.sock`], 3);
  });

  test("actions: drain, weight, enable, check (up and down), reload (applied, then refused)", async () => {
    const d = await valid("action.schema.json", ["status", "drain", "app", "b1", "--json", ...ctl()], 0);
    expect(d).toMatchObject({ state: "drained" });
    await valid("action.schema.json", ["status", "weight", "app", "b1", "3", "--json", ...ctl()], 0);
    await valid("action.schema.json", ["status", "enable", "app", "b1", "--json", ...ctl()], 0);
    await valid("action.schema.json", ["status", "check", "app", "b1", "--json", ...ctl()], 0);
    await valid("action.schema.json", ["status", "reload", "--json", ...ctl()], 0);
    // An unknown key in the running file: the reload is refused with it.
    writeConfig(tmp.dir, configText({ port, control, backends, vsExtra: "colour = 1\n" }));
    const refused = await valid("action.schema.json", ["status", "reload", "--json", ...ctl()], 1);
    expect(refused).toMatchObject({ ok: false, applied: false });
    writeConfig(tmp.dir, configText({ port, control, backends, checkInterval: "300ms" }));
  });

  test("config check --json: a good file, three mistakes, a syntax error, no file", async () => {
    const good = await valid("config-check.schema.json", ["config", "check", "-c", file, "--json"], 0);
    expect(good.ok).toBe(true);
    const bad = await valid(
      "config-check.schema.json",
      ["config", "check", "-c", join(FIXTURES, "three-mistakes.toml"), "--json"],
      2,
    );
    expect(bad).toMatchObject({ ok: false });
    expect((bad.errors as Array<{ key: string; line: number }>).map((e) => [e.key, e.line])).toEqual([
      ["virtual_server[0].rule[0].pool", 7],
      ["pool.app.schedular", 10],
      ["pool.app.check.interval", 15],
    ]);
    const syntax = writeConfig(tmp.dir, "[global\n", "broken.toml");
    const se = await valid("config-check.schema.json", ["config", "check", "-c", syntax, "--json"], 2);
    expect(se).toMatchObject({ errors: [{ code: "config_syntax", line: 1 }] });
    await valid("config-check.schema.json", ["config", "check", "-c", `${tmp.dir}/none.toml`, "--json"], 2);
  });

  test("check --json: one check up and down, a config run, usage and missing-config UNKNOWNs, vrrp", async () => {
    const up = await valid("check.schema.json", ["check", "tcp", backends[0]!.address, "--json"], 0);
    expect(up).toMatchObject({ status: "ok", exit_code: 0 });
    const dead = freePort();
    await valid("check.schema.json", ["check", "tcp", `127.0.0.1:${dead}`, "--json"], 2);
    const run = await valid("check.schema.json", ["check", "-c", file, "--json"], 0);
    expect(run).toMatchObject({ pools: [{ name: "app", servers_up: 2, servers_down: 0 }] });
    await valid("check.schema.json", ["check", "tcp", "--json"], 3);
    await valid("check.schema.json", ["check", "-c", `${tmp.dir}/none.toml`, "--json"], 3);
    // This daemon runs no VRRP: the instance is unknown to it.
    await valid("check.schema.json", ["check", "vrrp", "VI_1", "--json", ...ctl()], 3);
    await valid(
      "check.schema.json",
      ["check", "vrrp", "VI_1", "--json", "--control", `unix:${tmp.dir}/x`],
      2,
    );
  });

  test("version --json", async () => {
    await valid("version.schema.json", ["version", "--json"], 0);
  });

  test("status --watch --json: every line, across a daemon restart", async () => {
    const w = spawnTcpvs(["status", "--watch", "--json", ...ctl()]);
    try {
      await waitLine(w, /"type":"stats"/, 5000);
      await runTcpvs(["status", "drain", "app", "b2", ...ctl()]);
      await waitLine(w, /"type":"event"/, 5000);
      p!.proc.kill("SIGTERM");
      await exitWithin(p!, 8000);
      await waitLine(w, /"type":"disconnected"/, 5000);
      p = await startServe(file);
      const back = await waitLine(w, /"type":"reconnected"/, 10_000);
      await waitLine(w, /"type":"snapshot"/, 5000, back);
      const lines = w.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string });
      const types = new Set(lines.map((l) => l.type));
      expect([...types].sort()).toEqual(["disconnected", "event", "reconnected", "snapshot", "stats"]);
      for (const l of lines)
        expect({ l, errors: schemas.validate("watch.schema.json", l) }).toEqual({ l, errors: [] });
    } finally {
      w.proc.kill("SIGINT");
      await exitWithin(w, 5000);
    }
  }, 40_000);
});
