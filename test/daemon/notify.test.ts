// Type=notify from the daemon's side: READY=1 once serving, RELOADING=1 (with MONOTONIC_USEC) then
// READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM. python3 plays systemd's end of the socket.

import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import {
  BUN,
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  MAIN,
  type Proc,
  spawnLines,
  tempDir,
  waitLine,
  writeConfig,
} from "./harness.ts";

const python = Bun.which("python3");
if (!python) console.log("skipping sd_notify tests: python3 is needed to receive the datagrams");

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A receiver printing each datagram as one line (newlines as "|"); at most 20, for at most 30 s. */
function receiver(path: string): Proc {
  const p = spawnLines([
    python!,
    "-c",
    `import socket,sys
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(30); print("ready",flush=True)
for _ in range(20): print(s.recv(4096).decode().replace("\\n","|"),flush=True)`,
    path,
  ]);
  cleanups.push(() => killIfRunning(p));
  return p;
}

async function notifyingDaemon() {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const b = backend("b1");
  cleanups.push(() => b.stop());
  const sock = join(tmp.dir, "notify.sock");
  const rx = receiver(sock);
  await waitLine(rx, /^ready$/, 5000);
  const file = writeConfig(
    tmp.dir,
    configText({ port: freePort(), control: `unix:${tmp.dir}/c.sock`, backends: [b], checkInterval: "5s" }),
  );
  const p = spawnLines([BUN, MAIN, "serve", "-c", file], { NOTIFY_SOCKET: sock });
  cleanups.push(() => killIfRunning(p));
  return { p, rx };
}

test.skipIf(!python)(
  "READY, RELOADING+READY around SIGHUP, STOPPING on SIGTERM",
  async () => {
    const { p, rx } = await notifyingDaemon();
    await waitLine(rx, /^READY=1$/, 15_000);
    await waitLine(p, /tcpvs serving/, 5000);
    p.proc.kill("SIGHUP");
    const r = await waitLine(rx, /^RELOADING=1\|MONOTONIC_USEC=\d+$/, 5000);
    await waitLine(rx, /^READY=1$/, 5000, r + 1);
    p.proc.kill("SIGTERM");
    await waitLine(rx, /^STOPPING=1$/, 5000);
    expect(await exitWithin(p, 8000)).toBe(0);
    expect(rx.lines.filter((l) => l !== "ready")).toEqual([
      "READY=1",
      expect.stringMatching(/^RELOADING=1\|MONOTONIC_USEC=\d+$/),
      "READY=1",
      "STOPPING=1",
    ]);
  },
  30_000,
);

// systemd compares MONOTONIC_USEC with the CLOCK_MONOTONIC time it sent SIGHUP; Bun has no absolute
// monotonic clock, so the daemon reads clock_gettime through core/sys.
test("MONOTONIC_USEC is on the monotonic clock (near /proc/uptime on a machine that never slept)", async () => {
  const { p, rx } = await notifyingDaemon();
  await waitLine(rx, /^READY=1$/, 15_000);
  await waitLine(p, /tcpvs serving/, 5000);
  p.proc.kill("SIGHUP");
  const i = await waitLine(rx, /^RELOADING=1/, 5000);
  const usec = Number(/MONOTONIC_USEC=(\d+)/.exec(rx.lines[i]!)![1]);
  const uptime = Number((await Bun.file("/proc/uptime").text()).split(" ")[0]);
  expect(Math.abs(usec / 1e6 - uptime)).toBeLessThan(60);
});
