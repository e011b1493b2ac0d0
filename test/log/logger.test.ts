import { expect, test } from "bun:test";
import { Logger, memoryLogger } from "../../core/log/logger.ts";

const fixed = () => new Date("2026-01-02T03:04:05.000Z");

function capture(opts: ConstructorParameters<typeof Logger>[0]): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger({ now: fixed, ...opts, sink: { write: (l) => lines.push(l) } }), lines };
}

test("text lines carry time, level, message and fields; below the level is dropped", () => {
  const { logger, lines } = capture({ level: "info", format: "text", journald: false });
  logger.debug("hidden");
  logger.warn("server down", { pool: "app", reason: "timed out after 1000 ms" });
  expect(lines).toEqual([
    '2026-01-02T03:04:05.000Z WARN  server down pool=app reason="timed out after 1000 ms"\n',
  ]);
});

test("JSON lines parse and keep bound fields of a child", () => {
  const { logger, lines } = capture({ level: "debug", format: "json", journald: false });
  logger.child({ subsystem: "vrrp" }).info("state", { state: "MASTER" });
  expect(JSON.parse(lines[0]!)).toEqual({
    time: "2026-01-02T03:04:05.000Z",
    level: "info",
    msg: "state",
    subsystem: "vrrp",
    state: "MASTER",
  });
});

test("under journald each line starts with its syslog priority", () => {
  const { logger, lines } = capture({ level: "debug", format: "text", journald: true });
  logger.error("boom");
  logger.info("fine");
  expect(lines).toEqual(["<3>boom\n", "<6>fine\n"]);
});

test("memoryLogger collects JSON lines", () => {
  const { logger, lines } = memoryLogger();
  logger.info("a");
  expect(lines.length).toBe(1);
});

test("text values are words a person reads: no undefined, no JSON objects, no raw epoch", () => {
  const { logger, lines } = capture({ level: "info", format: "text", journald: false });
  logger.info("control action", { action: "vrrp", instance: "VI_1", priority: undefined });
  logger.info("vrrp stopped", { drops: { "interface eth0": { vrid: 0, auth: 2 }, VI_1: {} } });
  logger.info("state vrrp", {
    since: new Date(Date.UTC(2026, 10, 25, 16, 34, 41)),
    listeners: ["a:1", "b:2"],
  });
  expect(lines).toEqual([
    "2026-01-02T03:04:05.000Z INFO  control action action=vrrp instance=VI_1\n",
    '2026-01-02T03:04:05.000Z INFO  vrrp stopped drops="interface eth0: vrid 0, auth 2, VI_1: none"\n',
    "2026-01-02T03:04:05.000Z INFO  state vrrp since=2026-11-25T16:34:41.000Z listeners=a:1,b:2\n",
  ]);
  // JSON lines keep the structure (and a Date is its ISO text there too).
  const j = capture({ level: "info", format: "json", journald: false });
  j.logger.info("x", { since: new Date(0), p: undefined, drops: { a: { b: 1 } } });
  expect(JSON.parse(j.lines[0]!)).toEqual({
    time: "2026-01-02T03:04:05.000Z",
    level: "info",
    msg: "x",
    since: "1970-01-01T00:00:00.000Z",
    drops: { a: { b: 1 } },
  });
});
