// The application on one node of the two-node scenario: answers its node name on every path and "ok"
// on /health, so the client can tell which node's application served it. Started by the test with
// `ip netns exec NODE bun app-server.ts NAME HOST PORT`; stopped by PID.

const [name, host, port] = process.argv.slice(2);
if (!name || !host || !port) {
  console.error("usage: bun app-server.ts NAME HOST PORT");
  process.exit(2);
}

const server = Bun.serve({
  hostname: host,
  port: Number(port),
  fetch(req) {
    const path = new URL(req.url).pathname;
    return new Response(path === "/health" ? "ok\n" : `${name}\n`, {
      headers: { "content-type": "text/plain" },
    });
  },
});

console.log(`app ${name} listening on ${server.hostname}:${server.port}`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
