// Two listeners in one SO_REUSEPORT group, as two data-path workers have: the kernel spreads one
// client's connections over both; steered by source address, they all reach one; unsteered, both again.

import { expect, test } from "bun:test";
import { sourceProgram, steerBySource, unsteer } from "../../core/sys/reuseport-steer.ts";

interface Group {
  counts: number[];
  fds: number[];
  port: number;
  stop(): void;
}

function group(hostname: string): Group {
  const counts = [0, 0];
  const listen = (i: number, port: number) =>
    Bun.listen({
      hostname,
      port,
      socket: {
        open() {
          counts[i]!++;
        },
        data() {},
      },
      ...({ reusePort: true } as object),
    });
  const a = listen(0, 0);
  const b = listen(1, a.port);
  const fd = (l: unknown) => (l as { fd: number }).fd;
  return {
    counts,
    fds: [fd(a), fd(b)],
    port: a.port,
    stop() {
      a.stop(true);
      b.stop(true);
    },
  };
}

async function connections(g: Group, hostname: string, n: number): Promise<number[]> {
  g.counts.fill(0);
  for (let i = 0; i < n; i++) {
    const s = await Bun.connect({ hostname, port: g.port, socket: { data() {} } });
    s.end();
  }
  for (let i = 0; i < 50 && g.counts[0]! + g.counts[1]! < n; i++) await Bun.sleep(10);
  return [...g.counts];
}

test("a group of 0 sockets is refused", () => {
  expect(() => sourceProgram(0)).toThrow(RangeError);
  expect(sourceProgram(2).at(-2)).toEqual([0x94, 0, 0, 2]);
});

for (const host of ["127.0.0.1", "::1"]) {
  test(`${host}: one client's connections reach one listener when steered, both otherwise`, async () => {
    let g: Group;
    try {
      g = group(host);
    } catch (e) {
      console.log(`skip ${host}: cannot listen (${(e as Error).message})`);
      return;
    }
    try {
      // 40 connections all on one listener by chance: 2^-39.
      const before = await connections(g, host, 40);
      expect(before[0]! + before[1]!).toBe(40);
      expect(Math.min(...before)).toBeGreaterThan(0);
      expect(steerBySource(g.fds[0]!, 2)).toBeUndefined();
      const steered = await connections(g, host, 40);
      expect(steered.toSorted()).toEqual([0, 40]);
      // The program is the group's: cleared through the other member.
      expect(unsteer(g.fds[1]!)).toBeUndefined();
      const after = await connections(g, host, 40);
      expect(Math.min(...after)).toBeGreaterThan(0);
      expect(unsteer(g.fds[1]!)).toBeUndefined(); // nothing set: not an error
    } finally {
      g.stop();
    }
  });
}
