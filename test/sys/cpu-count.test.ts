// `workers = "auto"`: affinity and cgroup v2 quota, the smaller wins.

import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cgroupQuotaCpus, quotaCpus, resolveWorkers, usableCpus } from "../../core/sys/cpu-count.ts";
import { affinityCpuCount } from "../../core/sys/libc.ts";
import { missingTools } from "../tools.ts";

const NO_TASKSET = missingTools("the taskset test of workers = auto", "taskset");

test("cpu.max: a quota in CPUs, rounded up; none for max", () => {
  expect(quotaCpus("max 100000\n")).toBeUndefined();
  expect(quotaCpus("200000 100000\n")).toBe(2);
  expect(quotaCpus("150000 100000")).toBe(2);
  expect(quotaCpus("50000 100000")).toBe(1);
  expect(quotaCpus("garbage")).toBeUndefined();
});

test("the tightest quota from the cgroup up to its ancestors", () => {
  const q = cgroupQuotaCpus();
  if (q !== undefined) expect(q).toBeGreaterThanOrEqual(1);
  const root = mkdtempSync(join(tmpdir(), "cg-"));
  try {
    mkdirSync(join(root, "a", "b"), { recursive: true });
    writeFileSync(join(root, "a", "cpu.max"), "300000 100000\n");
    writeFileSync(join(root, "a", "b", "cpu.max"), "max 100000\n");
    expect(cgroupQuotaCpus(join(root, "a", "b"), root)).toBe(3);
    writeFileSync(join(root, "a", "b", "cpu.max"), "120000 100000\n");
    expect(cgroupQuotaCpus(join(root, "a", "b"), root)).toBe(2);
    expect(cgroupQuotaCpus(join(root, "a"), root)).toBe(3);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test.skipIf(NO_TASKSET !== undefined)("affinity: taskset -c 0 gives one CPU; auto follows it", async () => {
  expect(affinityCpuCount()).toBeGreaterThanOrEqual(1);
  expect(usableCpus()).toBeLessThanOrEqual(affinityCpuCount());
  expect(resolveWorkers(3)).toBe(3);
  const p = Bun.spawn(
    [
      "taskset",
      "-c",
      "0",
      process.execPath,
      "-e",
      `import("${join(import.meta.dir, "../../core/sys/cpu-count.ts")}").then((m) => console.log(m.resolveWorkers("auto")))`,
    ],
    { stdout: "pipe" },
  );
  expect((await new Response(p.stdout).text()).trim()).toBe("1");
});
