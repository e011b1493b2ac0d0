import { describe, expect, test } from "bun:test";
import { SchedulerError } from "../../core/sched/errors.ts";
import {
  createScheduler,
  DEFAULT_SCHEDULER,
  schedulerNames,
  validatePersistence,
  validateSchedulerOptions,
} from "../../core/sched/registry.ts";
import { ServerState } from "../../core/state/cluster.ts";
import { createPoolScheduling } from "../../core/sched/registry.ts";
import { ctx, servers, testEnv } from "./helpers.ts";

describe("registry", () => {
  test("knows the LVS set and the layer-7 schedulers; wlc is the default", () => {
    for (const n of [
      "rr",
      "wrr",
      "lc",
      "wlc",
      "sed",
      "nq",
      "fo",
      "ovf",
      "sh",
      "dh",
      "lblc",
      "lblcr",
      "mh",
      "twos",
    ]) {
      expect(schedulerNames).toContain(n);
    }
    expect(schedulerNames).toContain("chbl");
    expect(schedulerNames).toContain("peak_ewma");
    expect(schedulerNames).toContain(DEFAULT_SCHEDULER);
    expect(DEFAULT_SCHEDULER).toBe("wlc");
  });

  test("valid options give no errors", () => {
    expect(
      validateSchedulerOptions("mh", { table_size: 65537, key: "header:X-User", fallback: false }),
    ).toEqual([]);
    expect(validateSchedulerOptions("chbl", { load_factor: 1.5, key: "capture" })).toEqual([]);
    expect(validateSchedulerOptions("wlc", { cookie: "SRV", persistence_table_size: 1000 })).toEqual([]);
    expect(validateSchedulerOptions("lblcr", { expiration: 60000, table_size: 10 })).toEqual([]);
  });

  test("bad names and options give action-first messages quoting the value", () => {
    expect(validateSchedulerOptions("wrrr", {})[0]).toMatch(/^Use one of rr, wrr.* got "wrrr"$/);
    expect(validateSchedulerOptions("mh", { table_size: 65536 })[0]).toContain('prime number: got "65536"');
    expect(validateSchedulerOptions("mh", { table_size: "big" })[0]).toContain('got "big"');
    expect(validateSchedulerOptions("rr", { tablesize: 1 })[0]).toMatch(/^Remove unknown option "tablesize"/);
    expect(validateSchedulerOptions("sh", { port: "yes" })[0]).toContain('true or false: got "yes"');
    expect(validateSchedulerOptions("chbl", { load_factor: 0.5 })[0]).toContain('got "0.5"');
    expect(validateSchedulerOptions("dh", { key: "body" })[0]).toContain('got "body"');
    expect(validateSchedulerOptions("wlc", { cookie: "a;b" })[0]).toContain('got "a;b"');
    expect(validateSchedulerOptions("mh", { table_size: 65536, fallback: 1 })).toHaveLength(2);
  });

  test("persistence settings", () => {
    expect(validatePersistence(0, "")).toEqual([]);
    expect(validatePersistence(300000, "255.255.255.0,64")).toEqual([]);
    expect(validatePersistence(-1, "")[0]).toContain('"-1"');
    expect(validatePersistence(1000, "255.255.0.255")[0]).toContain('"255.255.0.255"');
  });

  test("createScheduler throws SchedulerError with a stable code", () => {
    const codes: string[] = [];
    for (const [name, options] of [
      ["nope", {}],
      ["mh", { table_size: 4 }],
    ] as const) {
      try {
        createScheduler(name, servers([1]), options, testEnv());
      } catch (e) {
        expect(e).toBeInstanceOf(SchedulerError);
        codes.push((e as SchedulerError).code);
      }
    }
    expect(codes).toEqual(["unknown_scheduler", "bad_scheduler_options"]);
  });
});

describe("with the cluster model's ServerState", () => {
  test("a drained server gets no new clients and a disabled one none at all", () => {
    const list = [0, 1, 2].map((i) => new ServerState("web", `w${i}`, `10.0.0.${i}:80`, 1, { now: 0 }));
    const { scheduler } = createPoolScheduling(
      { scheduler: "wrr", scheduler_options: {}, persistence_timeout: 0, persistence_granularity: "" },
      list,
      testEnv(),
    );
    list[0]!.drained = true;
    list[1]!.disabled = true;
    for (const s of list) s.recompute();
    scheduler.update();
    for (let i = 0; i < 10; i++) expect(scheduler.pick(ctx())!.id).toBe("w2");
  });
});
