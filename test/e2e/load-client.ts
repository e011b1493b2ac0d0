// A bounded client load against the VIP: RATE requests per second for at most SECONDS, each on its
// own TCP connection ("Connection: close", so no request rides a connection opened before a failover)
// with a TIMEOUT_MS deadline. One JSON line per request on stdout: {t, ok, node?, ms, err?}, where t is
// when the request started (epoch ms) and node is the application that answered.
// Usage: bun load-client.ts HOST PORT RATE SECONDS TIMEOUT_MS

import { connect } from "node:net";

const [host, portArg, rateArg, secondsArg, timeoutArg] = process.argv.slice(2);
const port = Number(portArg);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const timeoutMs = Number(timeoutArg);
if (
  !host ||
  !(port > 0) ||
  !(rate > 0 && rate <= 500) ||
  !(seconds > 0 && seconds <= 600) ||
  !(timeoutMs > 0)
) {
  console.error("usage: bun load-client.ts HOST PORT RATE(1-500) SECONDS(1-600) TIMEOUT_MS");
  process.exit(2);
}

interface Result {
  t: number;
  ok: boolean;
  node?: string;
  ms: number;
  err?: string;
}

function once(): Promise<Result> {
  const t = Date.now();
  return new Promise((resolve) => {
    let done = false;
    let body = "";
    const finish = (r: Omit<Result, "t" | "ms">) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ t, ms: Date.now() - t, ...r });
    };
    const sock = connect({ host, port });
    const timer = setTimeout(() => finish({ ok: false, err: "timeout" }), timeoutMs);
    sock.setEncoding("latin1");
    sock.on("connect", () => {
      sock.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    sock.on("data", (chunk: string) => {
      body += chunk;
    });
    sock.on("error", (e: NodeJS.ErrnoException) => finish({ ok: false, err: e.code ?? e.message }));
    sock.on("close", () => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(body)?.[1];
      if (status !== "200") {
        finish({ ok: false, err: status ? `status ${status}` : "no response" });
        return;
      }
      const node = body.slice(body.indexOf("\r\n\r\n") + 4).trim();
      finish({ ok: true, node });
    });
  });
}

const stopAt = Date.now() + seconds * 1000;
const gap = 1000 / rate;
let next = Date.now();
let stopping = false;
process.on("SIGTERM", () => {
  stopping = true;
});
const pending = new Set<Promise<void>>();
while (!stopping && Date.now() < stopAt) {
  const p = once().then((r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    pending.delete(p);
  });
  pending.add(p);
  next += gap;
  const wait = next - Date.now();
  if (wait > 0) await Bun.sleep(wait);
  else next = Date.now(); // fell behind (a slow machine): do not burst to catch up
}
await Promise.all(pending);
