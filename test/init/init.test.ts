import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import toml from "toml";
import { parseConfig } from "../../core/config/load.ts";
import { answersFromFlags, check, InitError, parseInitFlags } from "../../core/init/init-answers.ts";
import { writeConfigs } from "../../core/init/write-configs.ts";

// `tcpvs init` run as its own process, so the tests can give it a real terminal (tmux) or none.
const MAIN = join(import.meta.dir, "../../cmd/main.ts");
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tcpvs-init-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Parsed {
  global: { control: string; router_id: string };
  virtual_server: Array<{ name: string; listen: string[]; mode: string; pool: string }>;
  pool: Record<
    string,
    {
      scheduler: string;
      server: Array<{ name?: string; address: string; weight: number }>;
      check: Array<Record<string, unknown>>;
    }
  >;
  vrrp: Record<
    string,
    {
      interface: string;
      virtual_router_id: number;
      priority: number;
      advert_int: string;
      version: number;
      preempt: boolean;
      virtual_ipaddress: string[];
      track_pool: Array<{ name: string; weight: number }>;
      unicast_src_ip?: string;
      unicast_peer?: string[];
    }
  >;
}

function load(file: string): Parsed {
  const text = readFileSync(file, "utf8");
  // What init writes must pass the same validator as `tcpvs config check`; this throws on any problem.
  parseConfig(text, file);
  return toml.parse(text) as Parsed;
}

function runNoTty(args: string[]) {
  const p = Bun.spawnSync([process.execPath, MAIN, "init", ...args], {
    cwd: dir,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

const FULL = [
  "--role",
  "backup",
  "--vip",
  "192.0.2.10/24",
  "--interface",
  "ens3",
  "--vrid",
  "42",
  "--backend",
  "192.0.2.1:8080,192.0.2.2:8080",
  "--check",
  "tcp",
];

describe("answers", () => {
  test("validators accept good values and name the bad one", () => {
    expect(check.vip("10.0.0.100/24")).toBeUndefined();
    expect(check.vip("10.0.0.300/24")).toContain('"10.0.0.300/24"');
    expect(check.vrid("0")).toBeDefined();
    expect(check.vrid("255")).toBeUndefined();
    expect(check.backend("[2001:db8::1]:80")).toBeUndefined();
    expect(check.backend("app.local:99999")).toBeDefined();
    expect(check.check("http:/x")).toBeUndefined();
    expect(check.check("icmp")).toBeDefined();
  });
  test("flags: --x=value, repeated and comma lists; every problem reported at once", () => {
    const a = answersFromFlags(
      parseInitFlags([...FULL, "--backend=192.0.2.3:80", "--out", "a", "--peer-out=b"]),
    );
    expect(a.backends).toEqual([
      { address: "192.0.2.1:8080" },
      { address: "192.0.2.2:8080" },
      { address: "192.0.2.3:80" },
    ]);
    expect(a.vrid).toBe(42);
    let msg = "";
    try {
      answersFromFlags(parseInitFlags(["--vrid", "999"]));
    } catch (e) {
      msg = (e as Error).message;
    }
    for (const f of [
      "--role",
      "--vip",
      "--interface",
      "--check",
      "--out",
      "--peer-out",
      "--backend",
      '"999"',
    ]) {
      expect(msg).toContain(f);
    }
  });
});

describe("writing", () => {
  test("answers that slipped past the prompts' checks meet serve's validator before any file is written", async () => {
    const a = answersFromFlags(
      parseInitFlags([...FULL, "--out", join(dir, "a.toml"), "--peer-out", join(dir, "b.toml")]),
    );
    // What the validator refuses however it got here: a host name where serve wants an address.
    const bad = { ...a, backends: [{ address: "app.internal:8080" }] };
    const err = await writeConfigs(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InitError);
    expect((err as InitError).code).toBe("config_invalid");
    expect((err as InitError).message).toContain("pool.app.server[0].address");
    expect(existsSync(join(dir, "a.toml"))).toBe(false);
    expect(existsSync(join(dir, "b.toml"))).toBe(false);
  });
});

describe("tcpvs init without a terminal", () => {
  test("writes both files from flags; they parse as TOML with the expected keys", () => {
    const r = runNoTty([...FULL, "--out", "node.toml", "--peer-out", "peer/peer.toml"]);
    // Nothing on stderr but, where this machine has no ens3, the warning that says so.
    expect(r.err).toMatch(/^(tcpvs init: warning: interface "ens3" does not exist on this machine .*\n)?$/);
    expect(r.code).toBe(0);
    const self = load(join(dir, "node.toml"));
    const peer = load(join(dir, "peer/peer.toml"));
    expect(self.global.control).toBe("unix:/run/tcpvs/control.sock");
    expect(self.virtual_server[0]).toEqual({ name: "web", listen: ["0.0.0.0:80"], mode: "tcp", pool: "app" });
    expect(self.pool["app"]!.server.map((s) => s.address)).toEqual(["192.0.2.1:8080", "192.0.2.2:8080"]);
    expect(self.pool["app"]!.check[0]).toEqual({
      type: "tcp",
      interval: "1s",
      timeout: "500ms",
      rise: 2,
      fall: 2,
    });
    expect(self.vrrp["VI_1"]).toEqual({
      interface: "ens3",
      virtual_router_id: 42,
      priority: 100,
      advert_int: "1s",
      version: 3,
      preempt: true,
      virtual_ipaddress: ["192.0.2.10/24"],
      track_pool: [{ name: "app", weight: -60 }],
    });
    expect(peer.vrrp["VI_1"]!.priority).toBe(150);
    expect([self.global.router_id, peer.global.router_id]).toEqual(["node-b", "node-a"]);
    const rest = (c: Parsed) => ({ ...c, vrrp: {}, global: { ...c.global, router_id: "" } });
    expect(rest(peer)).toEqual(rest(self));
  });

  test("missing flags: usage error, exit 2, nothing written", () => {
    const r = runNoTty(["--role", "master"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("no terminal");
    expect(r.err).toContain("--vip");
    expect(existsSync(join(dir, "tcpvs.toml"))).toBe(false);
  });

  test("a backend serve would refuse (a host name): refused with the reason, nothing written", () => {
    const args = FULL.map((a) => (a === "192.0.2.1:8080,192.0.2.2:8080" ? "app.internal:8080" : a));
    const r = runNoTty([...args, "--out", "node.toml", "--peer-out", "peer.toml"]);
    // Either it refuses, naming the value, or what it writes passes the validator serve uses.
    if (r.code === 0) {
      load(join(dir, "node.toml"));
      load(join(dir, "peer.toml"));
      return;
    }
    expect(r.code).toBe(2);
    expect(r.err).toContain('"app.internal:8080"');
    expect(existsSync(join(dir, "node.toml"))).toBe(false);
    expect(existsSync(join(dir, "peer.toml"))).toBe(false);
  });

  test("an existing file is kept unless --force", () => {
    writeFileSync(join(dir, "node.toml"), "keep me");
    const r = runNoTty([...FULL, "--out", "node.toml", "--peer-out", "peer.toml"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("--force");
    expect(readFileSync(join(dir, "node.toml"), "utf8")).toBe("keep me");
    expect(runNoTty([...FULL, "--out", "node.toml", "--peer-out", "peer.toml", "--force"]).code).toBe(0);
    expect(load(join(dir, "node.toml")).vrrp["VI_1"]!.priority).toBe(100);
  });
});

describe("tcpvs init: listen address, server names and unicast peers as flags", () => {
  const MORE = [
    "--role",
    "master",
    "--vip",
    "192.0.2.10/24",
    "--interface",
    "ens3",
    "--vrid",
    "42",
    "--backend",
    "192.0.2.1:8080=web-a",
    "--backend",
    "192.0.2.2:8080=web-b",
    "--check",
    "http:/health",
    "--listen",
    "127.0.0.1:8081",
    "--unicast-src-ip",
    "192.0.2.1",
    "--unicast-peer",
    "192.0.2.2",
    "--out",
    "a.toml",
    "--peer-out",
    "b.toml",
  ];
  const checkPair = (a: string, b: string) => {
    const p = Bun.spawnSync(
      [process.execPath, MAIN, "config", "check", "--quiet", "-c", join(dir, a), "--peer", join(dir, b)],
      { stdout: "pipe", stderr: "pipe" },
    );
    return { code: p.exitCode, err: p.stderr.toString() };
  };

  test("the files carry them (the peer's with the unicast addresses swapped) and config check --peer accepts the pair", () => {
    const r = runNoTty(MORE);
    expect(r.code).toBe(0);
    const self = load(join(dir, "a.toml"));
    const peer = load(join(dir, "b.toml"));
    for (const c of [self, peer]) {
      expect(c.virtual_server[0]!.listen).toEqual(["127.0.0.1:8081"]);
      expect(c.pool["app"]!.server).toEqual([
        { name: "web-a", address: "192.0.2.1:8080", weight: 1 },
        { name: "web-b", address: "192.0.2.2:8080", weight: 1 },
      ]);
    }
    expect(self.vrrp["VI_1"]).toMatchObject({ unicast_src_ip: "192.0.2.1", unicast_peer: ["192.0.2.2"] });
    expect(peer.vrrp["VI_1"]).toMatchObject({ unicast_src_ip: "192.0.2.2", unicast_peer: ["192.0.2.1"] });
    expect(checkPair("a.toml", "b.toml")).toEqual({ code: 0, err: "" });
    expect(checkPair("b.toml", "a.toml")).toEqual({ code: 0, err: "" });
  });

  test("without unicast flags the adverts stay multicast: no unicast keys", () => {
    const r = runNoTty(
      MORE.slice(0, MORE.indexOf("--unicast-src-ip")).concat("--out", "a.toml", "--peer-out", "b.toml"),
    );
    expect(r.code).toBe(0);
    expect(load(join(dir, "a.toml")).vrrp["VI_1"]!.unicast_peer).toBeUndefined();
  });

  const refused: Array<[string, string, string, string]> = [
    // [flag, bad value, what the validator says (checkKey on the schema), why]
    ["--listen", "0.0.0.0", 'invalid address "0.0.0.0": a port is required', "a listener without a port"],
    [
      "--unicast-peer",
      "2001:db8::2",
      'invalid address "2001:db8::2": expected an IPv4 address, the family of this instance\'s VIPs',
      "wrong family",
    ],
    ["--unicast-src-ip", "fe80::1%eth0", 'remove "%eth0"', "a zone"],
    ["--unicast-peer", "peer.local", 'invalid address "peer.local"', "a host name"],
    [
      "--backend",
      "192.0.2.1:8080=web-a,192.0.2.2:8080=web-a",
      'duplicate server name "web-a"',
      "one name twice",
    ],
    ["--backend", "192.0.2.1:8080=", 'a name after "="', "an empty name"],
  ];
  for (const [flag, value, says, why] of refused) {
    test(`${flag} ${value} (${why}) is refused with the validator's message, nothing written`, () => {
      const args = [...MORE];
      if (flag === "--backend") args.splice(args.indexOf("--backend"), 4, "--backend", value);
      else args[args.indexOf(flag) + 1] = value;
      const r = runNoTty(args);
      expect(r.code).toBe(2);
      expect(r.err).toContain(says);
      // The line names what was asked for (action first), then the validator's own words.
      const lead = {
        "--listen": "listen address",
        "--backend": "192.0.2.1:8080",
        "--unicast-peer": "--unicast-peer",
        "--unicast-src-ip": "--unicast-src-ip",
      }[flag]!;
      expect(r.err).toMatch(new RegExp(`tcpvs init: Give .*(${lead.replace(/[.]/g, "\\.")}|backend)`));
      expect(existsSync(join(dir, "a.toml"))).toBe(false);
      expect(existsSync(join(dir, "b.toml"))).toBe(false);
    });
  }

  test("the unicast flags go together, and the peer is not this node", () => {
    const args = MORE.filter(
      (_, i) => i !== MORE.indexOf("--unicast-peer") && i !== MORE.indexOf("--unicast-peer") + 1,
    );
    const r = runNoTty(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Give --unicast-src-ip and --unicast-peer together");
    const same = [...MORE];
    same[same.indexOf("--unicast-peer") + 1] = "192.0.2.1";
    expect(runNoTty(same).err).toContain("not this node's");
  });

  test("tcpvs init --help documents ADDR=NAME and the unicast flags", () => {
    const p = Bun.spawnSync([process.execPath, MAIN, "init", "--help"], { stdout: "pipe", stderr: "pipe" });
    const help = p.stdout.toString();
    expect(p.exitCode).toBe(0);
    expect(help).toContain("--backend");
    expect(help).toContain("=NAME");
    expect(help).toContain("10.0.0.11:8080=web-a");
    expect(help).toContain("--unicast-src-ip");
    expect(help).toContain("--unicast-peer");
    expect(help).toContain("--listen");
  });
});

describe("tcpvs init on a real terminal (tmux)", () => {
  const tmux = Bun.which("tmux");
  const session = `tcpvs-init-test-${process.pid}`;

  function sh(args: string[]): string {
    return Bun.spawnSync([tmux!, ...args]).stdout.toString();
  }
  async function waitFor(text: string): Promise<string> {
    let screen = "";
    for (let i = 0; i < 100; i++) {
      screen = sh(["capture-pane", "-p", "-t", session]);
      if (screen.includes(text)) return screen;
      await Bun.sleep(50);
    }
    throw new Error(`Timed out waiting for "${text}" on the terminal:\n${screen}`);
  }
  const keys = (...k: string[]) => sh(["send-keys", "-t", session, ...k]);
  const type = (s: string) => sh(["send-keys", "-t", session, "-l", s]);

  test("answers typed at the prompts end up in the files", async () => {
    if (!tmux) {
      console.log("skip: tmux not installed");
      return;
    }
    const cmd = `cd ${dir} && ${process.execPath} ${MAIN} init; echo EXIT=$?; sleep 5`;
    Bun.spawnSync([tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", cmd]);
    try {
      await waitFor("Role of this node");
      keys("Enter"); // master, the first option
      await waitFor("Virtual IP");
      type("10.0.0.300/24");
      keys("Enter");
      await waitFor("Give the VIP as an IPv4 address"); // refused, stays on the question
      for (let i = 0; i < 13; i++) keys("BSpace");
      type("10.0.0.100/24");
      keys("Enter");
      await waitFor("Interface for the VIP");
      for (let i = 0; i < 20; i++) keys("BSpace");
      type("eth7");
      keys("Enter");
      await waitFor("Virtual router id");
      type("77");
      keys("Enter");
      await waitFor("Backends");
      type("10.0.0.1:8080, 10.0.0.2:8080");
      keys("Enter");
      await waitFor("Name of server 10.0.0.1:8080");
      type("app-1");
      keys("Enter");
      await waitFor("Name of server 10.0.0.2:8080");
      type("app-1");
      keys("Enter");
      await waitFor("a name no other server has"); // refused, stays on the question
      for (let i = 0; i < 5; i++) keys("BSpace");
      keys("Enter"); // empty: named by its address
      await waitFor("Health check");
      keys("Enter"); // HTTP
      await waitFor("Health check path");
      keys("Enter"); // default /health
      await waitFor("Listen address");
      type("0.0.0.0");
      keys("Enter");
      await waitFor("a port is required"); // the schema's own message
      type(":8080");
      keys("Enter");
      await waitFor("VRRP adverts");
      keys("Down");
      keys("Enter"); // unicast
      await waitFor("This node's address");
      type("10.0.0.1");
      keys("Enter");
      await waitFor("peer node's address");
      type("2001:db8::2");
      keys("Enter");
      await waitFor("expected an IPv4"); // the schema's rule: the VIPs' family
      for (let i = 0; i < 11; i++) keys("BSpace");
      type("10.0.0.2");
      keys("Enter");
      await waitFor("this node's config");
      keys("Enter");
      await waitFor("peer's config");
      keys("Enter");
      await waitFor("EXIT=0");
    } finally {
      sh(["kill-session", "-t", session]);
    }
    const self = load(join(dir, "tcpvs.toml"));
    const peer = load(join(dir, "tcpvs-peer.toml"));
    expect(self.vrrp["VI_1"]).toMatchObject({
      interface: "eth7",
      virtual_router_id: 77,
      priority: 150,
      virtual_ipaddress: ["10.0.0.100/24"],
      unicast_src_ip: "10.0.0.1",
      unicast_peer: ["10.0.0.2"],
    });
    expect(peer.vrrp["VI_1"]).toMatchObject({
      priority: 100,
      unicast_src_ip: "10.0.0.2",
      unicast_peer: ["10.0.0.1"],
    });
    expect(self.virtual_server[0]!.listen).toEqual(["0.0.0.0:8080"]);
    expect(self.pool["app"]!.check[0]).toEqual({
      type: "http",
      path: "/health",
      interval: "1s",
      timeout: "500ms",
      rise: 2,
      fall: 2,
    });
    expect(self.virtual_server[0]!.mode).toBe("http");
    expect(self.pool["app"]!.server).toEqual([
      { name: "app-1", address: "10.0.0.1:8080", weight: 1 },
      { address: "10.0.0.2:8080", weight: 1 },
    ]);
  }, 30_000);
});

test("init writes the shipped two-node pair, apart from comments", () => {
  const out = mkdtempSync(join(tmpdir(), "tcpvs-init-pair-"));
  try {
    const p = Bun.spawnSync(
      [
        process.execPath,
        MAIN,
        "init",
        "--role",
        "master",
        "--vip",
        "10.0.0.100/24",
        "--interface",
        "eth0",
        "--vrid",
        "51",
        "--backend",
        "10.0.0.11:8080=node-a",
        "--backend",
        "10.0.0.12:8080=node-b",
        "--check",
        "http:/health",
        "--listen",
        "0.0.0.0:80",
        "--out",
        join(out, "a.toml"),
        "--peer-out",
        join(out, "b.toml"),
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    expect(p.exitCode).toBe(0);
    const strip = (file: string) => {
      const cfg = parseConfig(readFileSync(file, "utf8"), "x.toml");
      return { ...cfg, file: "x.toml" };
    };
    const examples = join(import.meta.dir, "../../examples/two-node");
    expect(strip(join(out, "a.toml"))).toEqual(strip(join(examples, "node-a.toml")));
    expect(strip(join(out, "b.toml"))).toEqual(strip(join(examples, "node-b.toml")));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("init warns about an interface this machine lacks, and prints the next steps after writing", () => {
  const out = mkdtempSync(join(tmpdir(), "tcpvs-init-next-"));
  try {
    const args = [...FULL, "--out", join(out, "a.toml"), "--peer-out", join(out, "b.toml")];
    const missing = "ens99x";
    const p = Bun.spawnSync(
      [process.execPath, MAIN, "init", ...args.map((a) => (a === "ens3" ? missing : a))],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    expect(p.exitCode).toBe(0);
    expect(p.stderr.toString()).toContain(`warning: interface "${missing}" does not exist on this machine`);
    const text = p.stdout.toString();
    expect(text).toContain(`1. tcpvs config check -c ${join(out, "a.toml")}`);
    expect(text).toContain("systemctl enable --now tcpvs");
    // And the file it wrote passes the check it tells the operator to run.
    const check = Bun.spawnSync([
      process.execPath,
      MAIN,
      "config",
      "check",
      "--quiet",
      "-c",
      join(out, "a.toml"),
    ]);
    expect(check.exitCode).toBe(0);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
