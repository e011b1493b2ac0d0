// A connection accepted over a virtual server's max_connections counted by an admission shared with
// other workers: the last slot went to another worker between this one's look and Bun's accept. It is
// parked (not read, no 503) with the listener paused, and served when a slot frees. The admission
// here is a plain counter whose "other worker" the test plays.

import { afterEach, expect, test } from "bun:test";
import type { Admission } from "../../core/switch/switch.ts";
import { GateFds } from "../../core/sys/gate-fds.ts";
import { exchange, GET, type Rig, rig, TestBackend } from "./helpers.ts";

let r: Rig | undefined;
afterEach(async () => {
  await r?.stop();
  r = undefined;
});

function sharedCount(board: GateFds) {
  const c = { n: 0, stealNext: false };
  const admission: Admission = {
    acquire: (_vs, max) => {
      // Another worker takes a slot at this very moment.
      if (c.stealNext) {
        c.stealNext = false;
        c.n++;
      }
      if (c.n >= max) return false;
      c.n++;
      return true;
    },
    release: () => {
      c.n--;
      board.freed();
    },
    full: (_vs, max) => c.n >= max,
    mark: () => board.mark(),
    whenFreed: (m, then) => board.whenFreed(m, then),
    waiting: () => 0,
    live: (mine) => mine,
  };
  return { c, admission };
}

test("a connection that lost the last shared slot waits unread, then is served: no 503", async () => {
  const board = GateFds.create(1);
  const { c, admission } = sharedCount(board);
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { max_connections: 1 }, {}, { admission, gateRecord: board.recordFor(0) });
  // The listener has a gate and its two descriptors are listed for the main thread.
  expect(board.listed(0).length).toBe(2);
  c.stealNext = true;
  let answered = false;
  const pending = exchange(r.port, GET("/"), { timeoutMs: 5000 }).then((x) => {
    answered = true;
    return x;
  });
  await Bun.sleep(300);
  expect(answered).toBe(false);
  expect(r.cluster.counters.get("accept.parked")).toBe(1);
  expect(a.bytes).toBe(0);
  // The other worker's connection ends: its slot goes to the parked one, whose request was kept.
  admission.release("web");
  const x = await pending;
  expect(x.responses[0]?.status).toBe(200);
  expect(r.cluster.counters.get("reject.max_connections")).toBeUndefined();
  // Its own slot is given back when it closes.
  await Bun.sleep(100);
  expect(c.n).toBe(0);
});

test("a listener's gate gives its descriptors back to the board when it closes", async () => {
  const board = GateFds.create(1);
  const { admission } = sharedCount(board);
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, {}, {}, { admission, gateRecord: board.recordFor(0) });
  expect(board.listed(0).length).toBe(2);
  await r.stop();
  r = undefined;
  expect(board.listed(0)).toEqual([]);
});
