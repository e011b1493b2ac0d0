// The one process model with fake services: start in order, a failed start unwinds what started in
// reverse, reload goes to every service and a failure puts the previous config back on all of them,
// stop runs in reverse with the grace period, a second stop request (hurry) cuts the one draining.

import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../core/config/load.ts";
import { Daemon } from "../../core/daemon/daemon.ts";
import type { LoadedConfig, Service } from "../../core/daemon/service.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import { Cluster } from "../../core/state/cluster.ts";

const TEXT = `[global]\ngrace = "3s"\n`;

class Fake implements Service {
  constructor(
    readonly name: string,
    private readonly calls: string[],
    private readonly fail: { start?: boolean; reload?: string } = {},
    readonly stopsLast = false,
  ) {}
  async start(): Promise<void> {
    if (this.fail.start) throw new Error(`${this.name} cannot start`);
    this.calls.push(`start ${this.name}`);
  }
  async reload(next: LoadedConfig): Promise<void> {
    this.calls.push(`reload ${this.name} ${next.hash}`);
    if (this.fail.reload === next.hash) throw new Error(`${this.name} refused ${next.hash}`);
  }
  async stop(graceMs: number): Promise<void> {
    this.calls.push(`stop ${this.name} ${graceMs}`);
  }
  dump(): void {
    this.calls.push(`dump ${this.name}`);
  }
}

function daemon(services: (calls: string[]) => Service[], role: "serve" | "vrrp" = "serve") {
  const calls: string[] = [];
  const { logger, lines } = memoryLogger("info");
  const config = parseConfig(TEXT, "t.toml");
  const d = new Daemon({
    role,
    file: "t.toml",
    config,
    hash: "h1",
    log: logger,
    cluster: new Cluster(),
    reloadSource: () => ({ config, hash: "h2" }),
  }).use({ services: services(calls), ready: () => ["ready", { n: 3 }] });
  return { d, calls, lines };
}

describe("Daemon: an ordered list of services", () => {
  test("starts in order, logs the role's ready line, stops in reverse with the config's grace", async () => {
    const { d, calls, lines } = daemon((c) => [new Fake("a", c), new Fake("b", c), new Fake("c", c)]);
    await d.start();
    expect(lines.some((l) => l.includes("ready"))).toBe(true);
    d.dump();
    await d.stop();
    expect(calls).toEqual([
      "start a",
      "start b",
      "start c",
      "dump a",
      "dump b",
      "dump c",
      "stop c 3000",
      "stop b 3000",
      "stop a 3000",
    ]);
  });

  test("observers (control, metrics) stop after the rest, so status can watch a drain", async () => {
    const { d, calls } = daemon((c) => [
      new Fake("switch", c),
      new Fake("control", c, {}, true),
      new Fake("metrics", c, {}, true),
      new Fake("vrrp", c),
    ]);
    await d.start();
    await d.stop(0);
    expect(calls.filter((x) => x.startsWith("stop"))).toEqual([
      "stop vrrp 0",
      "stop switch 0",
      "stop metrics 0",
      "stop control 0",
    ]);
  });

  test("a failed start stops only what started, in reverse, with no grace and no 'stopping' line", async () => {
    const { d, calls, lines } = daemon((c) => [
      new Fake("a", c),
      new Fake("b", c),
      new Fake("c", c, { start: true }),
    ]);
    await expect(d.start()).rejects.toThrow("c cannot start");
    await d.stop(0);
    expect(calls).toEqual(["start a", "start b", "stop b 0", "stop a 0"]);
    expect(lines.some((l) => l.includes("tcpvs stopping"))).toBe(false);
  });

  test("a reload that fails part-way puts the previous config back on every service", async () => {
    const { d, calls } = daemon((c) => [new Fake("a", c), new Fake("b", c, { reload: "h2" })]);
    await d.start();
    const r = await d.reload();
    expect(r).toEqual({ ok: false, errors: ["b refused h2"] });
    expect(d.hash).toBe("h1");
    expect(calls.slice(2)).toEqual(["reload a h2", "reload b h2", "reload a h1", "reload b h1"]);
    await d.stop(0);
  });

  test("a role that applies its settings at restart explains SIGHUP instead of reloading", async () => {
    const calls: string[] = [];
    const { logger, lines } = memoryLogger("info");
    const d = new Daemon({
      role: "vrrp",
      file: "t.toml",
      config: parseConfig(TEXT, "t.toml"),
      hash: "h1",
      log: logger,
      cluster: new Cluster(),
    }).use({ services: [new Fake("v", calls)], ready: () => ["ready", {}], noReload: "no reload here" });
    await d.start();
    expect((await d.reload()).ok).toBe(false);
    expect(calls).toEqual(["start v"]);
    expect(lines.some((l) => l.includes("no reload here"))).toBe(true);
    await d.stop(0);
  });

  test("hurry during a stop calls stop(0) on the service draining, and the rest stop with 0", async () => {
    const calls: string[] = [];
    let release: () => void = () => {};
    class Slow extends Fake {
      override stop(graceMs: number): Promise<void> {
        calls.push(`stop slow ${graceMs}`);
        if (graceMs === 0) release();
        return new Promise((r) => {
          release = r;
        });
      }
    }
    const { d } = daemon(() => [new Fake("first", calls), new Slow("slow", calls)]);
    await d.start();
    const stopped = d.stop(5000);
    await Bun.sleep(10);
    d.hurry();
    await stopped;
    expect(calls.filter((c) => c.startsWith("stop"))).toEqual([
      "stop slow 5000",
      "stop slow 0",
      "stop first 0",
    ]);
  });
});
