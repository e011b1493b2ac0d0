// Runs inside a test namespace. `serve ADDR`: listen on the config's `listen` address and answer HTTP
// 200 when the Host field carries no zone (a zone means nothing to a server), 400 otherwise.
// `check ADDR`: run an http check against the config's server address; print the outcome as JSON.

import { runOneCheck } from "../../core/check/registry.ts";
import { checkDefaults } from "../../core/check/types.ts";
import { parseConfig } from "../../core/config/load.ts";

const [mode, addr] = process.argv.slice(2);
const config = parseConfig(
  `[[virtual_server]]\nname = "web"\nlisten = [${JSON.stringify(addr)}]\npool = "app"\n\n[pool.app]\n  [[pool.app.server]]\n  address = ${JSON.stringify(addr)}\n`,
  "zone.toml",
);

if (mode === "serve") {
  const ep = config.virtual_server[0]!.listen[0]!;
  if (ep.kind !== "inet") throw new Error("expected an inet listen address");
  Bun.listen({
    hostname: ep.host,
    port: ep.port,
    socket: {
      data(s, d) {
        const host = /\r\nhost: ([^\r]*)/i.exec(d.toString())?.[1] ?? "";
        s.end(`HTTP/1.1 ${host.includes("%") ? "400 Bad Request" : "200 OK"}\r\nContent-Length: 0\r\n\r\n`);
      },
    },
  });
  console.log(`listening ${ep.text}`);
} else {
  const server = config.pool.app!.server[0]!;
  const r = await runOneCheck(checkDefaults({ type: "http", timeout: 2000 }), server.address);
  console.log(JSON.stringify({ address: server.address, ok: r.ok, reason: r.reason }));
}
