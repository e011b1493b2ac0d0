// CPU while out of file descriptors (issue 14), tcpvs beside HAProxy 2.6 measured the same way. Each
// proxy under `ulimit -n 256`: (a) wrk -c400 for S seconds: CPU time used (from /proc), requests
// served, non-2xx responses and socket errors; (b) 400 clients that wait: 150 send half a request head
// and stay, 250 send a whole request; CPU time over S seconds while they wait, then the 150 leave and
// the 250 are counted as served or not. A proxy that retries a failed accept() in a loop burns a core
// in (b). The machine is shared (2 cores, other work running): figures are noisy.
// Usage: bun bench/nofile.ts [seconds=5]

import type { Socket } from "bun";
import {
  cpuSeconds,
  haproxyConf,
  MAIN,
  ports,
  run,
  spawn,
  startBackend,
  stop,
  tcpvsConf,
  waitPort,
  writeConf,
} from "./contenders.ts";

const SECONDS = Number(process.argv[2] ?? 5);

async function nofileOne(name: string, p: ReturnType<typeof Bun.spawn>, port: number): Promise<void> {
  await waitPort(port, p);
  await Bun.sleep(300);
  const c0 = cpuSeconds(p.pid);
  const w = Bun.spawn(
    ["wrk", "-t2", "-c400", `-d${SECONDS}s`, "--timeout", "20s", `http://127.0.0.1:${port}/`],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const out = await new Response(w.stdout).text();
  await w.exited;
  const used = cpuSeconds(p.pid) - c0;
  const total = Number(/([0-9]+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: ([0-9]+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(out)?.[1] ?? "none";
  console.log(
    `${name.padEnd(22)} CPU ${used.toFixed(2)} s in ${SECONDS} s (${((used / SECONDS) * 100).toFixed(0)}% of a core); ` +
      `${total} requests, non-2xx ${non2xx}, socket errors: ${errors}`,
  );
  await stop(p);
  await Bun.sleep(500);
}

async function nofileWaiting(name: string, p: ReturnType<typeof Bun.spawn>, port: number): Promise<void> {
  await waitPort(port, p);
  await Bun.sleep(300);
  const holders: Socket<undefined>[] = [];
  const statuses: Promise<string>[] = [];
  const connect = (text: string, hold: boolean) =>
    new Promise<string>((resolve) => {
      let got = "";
      Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          open: (s) => {
            if (hold) holders.push(s);
            s.write(text);
          },
          data: (_s, d) => {
            got += d.toString("latin1");
            if (got.length >= 12) resolve(got.slice(9, 12));
          },
          close: () => resolve(got.slice(9, 12) || "closed"),
          error: () => resolve("error"),
        },
      }).catch(() => resolve("refused"));
    });
  for (let i = 0; i < 150; i++) void connect("GET / HTTP/1.1\r\n", true);
  for (let i = 0; i < 250; i++)
    statuses.push(connect("GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n", false));
  await Bun.sleep(1000);
  const c0 = cpuSeconds(p.pid);
  await Bun.sleep(SECONDS * 1000);
  const used = cpuSeconds(p.pid) - c0;
  for (const h of holders) h.end();
  const all = await Promise.race([Promise.all(statuses), Bun.sleep(20_000).then(() => [] as string[])]);
  const tally: Record<string, number> = {};
  for (const st of all) tally[st] = (tally[st] ?? 0) + 1;
  console.log(
    `${name.padEnd(22)} CPU ${used.toFixed(2)} s in ${SECONDS} s while 400 clients wait; ` +
      `then the 250: ${all.length ? JSON.stringify(tally) : "not all answered within 20 s"}`,
  );
  await stop(p);
  await Bun.sleep(500);
}

async function main(): Promise<void> {
  await startBackend();
  const hapConf = writeConf("haproxy-256.cfg", haproxyConf(ports.haproxy, undefined));
  const tvConf = writeConf("tcpvs-256.toml", tcpvsConf(ports.tcpvs, 10_000));
  const haproxy = () => spawn(["haproxy", "-f", hapConf], 256);
  const tcpvs = () => spawn([process.execPath, MAIN, "serve", "-c", tvConf], 256);
  console.log(`Out of descriptors: ulimit -n 256, wrk -c400 for ${SECONDS} s`);
  await nofileOne("haproxy 2.6", haproxy(), ports.haproxy);
  await nofileOne("tcpvs serve", tcpvs(), ports.tcpvs);
  console.log("Out of descriptors: ulimit -n 256, 400 clients waiting (150 mid-head, 250 whole requests)");
  await nofileWaiting("haproxy 2.6", haproxy(), ports.haproxy);
  await nofileWaiting("tcpvs serve", tcpvs(), ports.tcpvs);
}

await run(main);
