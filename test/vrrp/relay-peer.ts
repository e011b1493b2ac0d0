// A TCP peer for the handover relay test, run inside a lab namespace.
//   server NAME HOST PORT: answers each chunk with "NAME:chunk" ("bye": answers and closes first),
//   prints "listening", and "end" per peer FIN.
//   client: reads "open ID HOST PORT [LOCALPORT]", "send ID TEXT", "end ID" lines on stdin; prints one
//   JSON line per event: {id, event: "open" | "data" | "error" | "close", text?, code?}.

import { connect, createServer, type Socket } from "node:net";

const [mode, ...args] = process.argv.slice(2);
const out = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

if (mode === "server") {
  const [name, host, port] = args;
  createServer((s) => {
    s.on("data", (d) => {
      const text = d.toString();
      if (text === "bye") s.end(`${name}:bye`);
      else s.write(`${name}:${text}`);
    });
    s.on("end", () => {
      out({ event: "end" });
      s.end();
    });
    s.on("error", () => {});
  }).listen(Number(port), host, () => out({ event: "listening" }));
} else {
  const socks = new Map<string, Socket>();
  let rest = "";
  process.stdin.on("data", (chunk) => {
    rest += chunk.toString();
    const lines = rest.split("\n");
    rest = lines.pop()!;
    for (const line of lines) {
      const [cmd, id = "", a = "", b = "", c = ""] = line.trim().split(" ");
      if (cmd === "open") {
        const local = c ? { localPort: Number(c) } : {};
        const s = connect({ port: Number(b), host: a, ...local }, () => out({ id, event: "open" }));
        s.on("data", (d) => out({ id, event: "data", text: d.toString() }));
        s.on("error", (e: NodeJS.ErrnoException) => out({ id, event: "error", code: e.code }));
        s.on("close", () => out({ id, event: "close" }));
        socks.set(id, s);
      } else if (cmd === "send") socks.get(id)?.write(a);
      else if (cmd === "end") socks.get(id)?.end();
    }
  });
}
