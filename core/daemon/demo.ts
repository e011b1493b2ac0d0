// The embedded demo config: what `tcpvs serve --demo` runs with no file and no root.

export function demoConfigText(backends: string[], port: number, controlSocket: string): string {
  const servers = backends
    .map((address, i) => `  [[pool.demo.server]]\n  name = "backend-${i + 1}"\n  address = "${address}"\n`)
    .join("\n");
  return `[global]
control = "unix:${controlSocket}"

[[virtual_server]]
name = "demo"
listen = ["127.0.0.1:${port}"]
mode = "http"
pool = "demo"

[pool.demo]
scheduler = "rr"
${servers}
  [pool.demo.check]
  type = "http"
  path = "/"
  interval = "2s"
  timeout = "1s"
`;
}

/** How to run this same program again: the binary itself, or Bun on the source. */
export function selfCommand(): string {
  return Bun.main.startsWith("/$bunfs/") ? process.execPath : `npx bun ${Bun.main}`;
}
