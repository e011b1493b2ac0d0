// `tcpvs status --all` with [global] peers: an action is applied on every node and each result is
// reported; the table shows the nodes side by side; a peer that is down (refused) or hangs (accepts
// and never answers) is reported and never holds up the local action. Two real daemons on loopback:
// node-a on a unix socket, node-b on a TCP control port with a token.

import { afterAll, beforeAll, expect, test } from "bun:test";
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
  startServe,
  statusJson,
  tempDir,
  waitFor,
  writeConfig,
} from "./harness.ts";

const schemas = new SchemaSet(join(import.meta.dir, "..", "..", "docs", "schema"));
const TOKEN = "peer-token-0123456789abcdef";

let a: Proc | undefined;
let b: Proc | undefined;
let backends: Backend[] = [];
let tmp: ReturnType<typeof tempDir>;
let silent: Bun.TCPSocketListener<undefined> | undefined;
let fileA = "";
let fileA2 = "";
let ctlA = "";
let ctlB = "";

function withGlobal(text: string, lines: string): string {
  return text.replace("[global]\n", `[global]\n${lines}\n`);
}

beforeAll(async () => {
  tmp = tempDir();
  backends = [backend("b1"), backend("b2")];
  const tokenFile = writeConfig(tmp.dir, `${TOKEN}\n`, "token");
  ctlA = `unix:${tmp.dir}/a.sock`;
  ctlB = `127.0.0.1:${freePort()}`;
  // A peer that accepts and never answers: the one that could hold everything up.
  const hang = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  silent = hang;
  const peerB = `{ name = "node-b", control = "${ctlB}", token_file = "${tokenFile}" }`;
  const peers = `peers = [${peerB}, { name = "node-c", control = "127.0.0.1:${freePort()}" }, { name = "node-d", control = "127.0.0.1:${hang.port}" }]`;
  const base = (control: string, tok?: string) =>
    configText({ port: freePort(), control, backends, checkInterval: "5s", tokenFile: tok });
  fileA = writeConfig(tmp.dir, withGlobal(base(ctlA), `router_id = "node-a"\n${peers}`), "a.toml");
  fileA2 = writeConfig(
    tmp.dir,
    withGlobal(base(ctlA), `router_id = "node-a"\npeers = [${peerB}]`),
    "a2.toml",
  );
  const fileB = writeConfig(tmp.dir, withGlobal(base(ctlB, tokenFile), 'router_id = "node-b"'), "b.toml");
  [a, b] = await Promise.all([startServe(fileA), startServe(fileB)]);
});

afterAll(async () => {
  for (const p of [a, b]) {
    if (!p) continue;
    p.proc.kill("SIGTERM");
    await exitWithin(p, 8000);
    killIfRunning(p);
  }
  silent?.stop(true);
  for (const x of backends) x.stop();
  tmp.cleanup();
});

const drained = async (control: string, token?: string) =>
  (await statusJson(control, token ? ["--token-file", join(tmp.dir, "token")] : [])).pools[0]!.servers.find(
    (s) => s.name === "b2",
  )!.drained;

test("an action on every node: each result reported, the dead and the silent peer too; local is not held up", async () => {
  const run = runTcpvs(["status", "-c", fileA, "--all", "drain", "app", "b2"], 20_000);
  // The local drain is in force while the silent peer still holds the command's connection.
  const t0 = Date.now();
  await waitFor(() => drained(ctlA), 2000, "node-a to be drained before the silent peer times out");
  expect(Date.now() - t0).toBeLessThan(2000);
  const r = await run;
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/^node-a\s+ok\s+app\/b2 drained, weight 0$/m);
  expect(r.out).toMatch(/^node-b\s+ok\s+app\/b2 drained, weight 0$/m);
  expect(r.out).toMatch(
    /^node-c\s+FAIL\s+Cannot connect to "127\.0\.0\.1:\d+": nothing is listening there$/m,
  );
  expect(r.out).toMatch(/^node-d\s+FAIL\s+Cannot connect .*timed out$/m);
  expect(await drained(ctlB, TOKEN)).toBe(true);
}, 30_000);

test("--all --json follows its schema; the table shows the nodes side by side", async () => {
  const j = await runTcpvs(["status", "-c", fileA2, "--all", "--json"]);
  expect(j.code).toBe(0);
  const doc = JSON.parse(j.out);
  expect(schemas.validate("status-all.schema.json", doc)).toEqual([]);
  expect(doc.nodes.map((n: { name: string; local: boolean }) => [n.name, n.local])).toEqual([
    ["node-a", true],
    ["node-b", false],
  ]);
  const act = await runTcpvs(["status", "-c", fileA, "--all", "enable", "app", "b2", "--json"], 20_000);
  const actDoc = JSON.parse(act.out);
  expect(schemas.validate("status-all.schema.json", actDoc)).toEqual([]);
  expect(actDoc).toMatchObject({ ok: false, action: "enable" });
  expect(actDoc.nodes[2].error.code).toBe("refused");
  expect((await runTcpvs(["status", "-c", fileA2, "--all", "drain", "app", "b1"])).code).toBe(0);
  const t = await runTcpvs(["status", "-c", fileA2, "--all"]);
  expect(t.code).toBe(0);
  expect(t.out).toMatch(/^node-a \(this node\)\s+serve/m);
  expect(t.out).toMatch(/^pool app\s+node-a\s+node-b$/m);
  expect(t.out).toMatch(/^ {2}b1\s+drained \d+s w0\s+drained \d+s w0$/m);
  expect(t.out).toMatch(/^ {2}b2\s+up w1\s+up w1$/m);
  expect((await runTcpvs(["status", "-c", fileA2, "--all", "enable", "app", "b1"])).code).toBe(0);
}, 30_000);

test("--all needs peers, and takes no queries", async () => {
  const lone = writeConfig(tmp.dir, configText({ port: freePort(), control: ctlA, backends }), "lone.toml");
  const r = await runTcpvs(["status", "-c", lone, "--all"]);
  expect(r.code).toBe(2);
  expect(r.err).toContain("List the other nodes in [global] peers");
  expect((await runTcpvs(["status", "-c", fileA2, "--all", "server", "app", "b1"])).code).toBe(2);
});
