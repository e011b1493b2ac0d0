// The global connection ceiling from the descriptor limit: (nofile - reserve) / 2, the reserve grown by
// listeners and health checks, and [global] max_connections only ever lowering it.

import { expect, test } from "bun:test";
import type { TcpvsConfig } from "../../core/config/types.ts";
import { FIXED_RESERVE, fdBudget, PER_CHECK, PER_LISTENER, reserveFor } from "../../core/daemon/fd-budget.ts";

function cfg(listeners: number, servers: number, checks: number, max?: number): TcpvsConfig {
  return {
    global: { max_connections: max },
    virtual_server: [{ listen: Array(listeners).fill({}) }],
    pool: { p: { server: Array(servers).fill({}), check: Array(checks).fill({}) } },
    vrrp: {},
  } as unknown as TcpvsConfig;
}

test("the reserve: fixed part, PER_LISTENER per listener, PER_CHECK per server check", () => {
  expect(reserveFor(cfg(1, 0, 0))).toBe(FIXED_RESERVE + PER_LISTENER);
  expect(reserveFor(cfg(2, 3, 2))).toBe(FIXED_RESERVE + 2 * PER_LISTENER + PER_CHECK * 6);
  // Data-path workers: each has its own socket and gate per listener; checks run once.
  expect(reserveFor(cfg(2, 3, 2), 4)).toBe(FIXED_RESERVE + 8 * PER_LISTENER + PER_CHECK * 6);
});

test("the ceiling is half of what the reserve leaves; max_connections lowers it, never raises it", () => {
  const r = FIXED_RESERVE + PER_LISTENER + PER_CHECK;
  expect(fdBudget(1024, cfg(1, 1, 1)).ceiling).toBe(Math.floor((1024 - r) / 2));
  expect(fdBudget(1024, cfg(1, 1, 1, 100))).toMatchObject({ ceiling: 100, capped: false });
  expect(fdBudget(1024, cfg(1, 1, 1, 5000))).toMatchObject({
    ceiling: Math.floor((1024 - r) / 2),
    capped: true,
  });
  // A limit smaller than the reserve still admits one connection rather than none.
  expect(fdBudget(10, cfg(1, 1, 1)).ceiling).toBe(1);
});
