// A throwaway network for VRRP tests: N namespaces, each with eth0 on one bridge that lives in its own
// namespace, so nothing touches the host's network. Always call destroy() (afterAll/finally).

import type { Subprocess } from "bun";

export const isRoot = () => process.getuid?.() === 0;

export function haveTool(name: string): boolean {
  return Bun.spawnSync(["sh", "-c", `command -v ${name}`]).exitCode === 0;
}

export interface Proc {
  proc: Subprocess;
  lines: string[];
  /** Resolves when the process has exited and its output has been read. */
  done: Promise<number>;
}

/** Write one command line to a process started with stdin "pipe". */
export function tell(p: Proc, line: string): void {
  const sink = p.proc.stdin as import("bun").FileSink;
  sink.write(`${line}\n`);
  sink.flush();
}

export class Lab {
  readonly sfx = `${process.pid % 1000}${Math.floor(Math.random() * 1e5)}`;
  readonly nodes: string[] = [];
  readonly bridge = `vrb${this.sfx}`;
  private procs: Proc[] = [];

  /** `ipv6`: also give node i fd00:77::i/64, with duplicate address detection off in every node so
   * link-local and VIP addresses are usable at once (as on a host that has been up for a while). */
  constructor(
    n: number,
    readonly opts: { ipv6?: boolean } = {},
  ) {
    this.run(["ip", "netns", "add", this.bridge]);
    this.run(["ip", "-n", this.bridge, "link", "add", "br0", "type", "bridge"]);
    this.run(["ip", "-n", this.bridge, "link", "set", "br0", "up"]);
    for (let i = 1; i <= n; i++) {
      const ns = `vrn${i}-${this.sfx}`;
      this.run(["ip", "netns", "add", ns]);
      this.nodes.push(ns);
      if (opts.ipv6) {
        // Written through /proc (per network namespace) so the tests need no procps.
        for (const k of ["all", "default"]) {
          const f = `/proc/sys/net/ipv6/conf/${k}/accept_dad`;
          this.run(["ip", "netns", "exec", ns, "sh", "-c", `echo 0 > ${f}`]);
        }
      }
      this.run([
        "ip",
        "-n",
        ns,
        "link",
        "add",
        "eth0",
        "type",
        "veth",
        "peer",
        "name",
        `p${i}`,
        "netns",
        this.bridge,
      ]);
      this.run(["ip", "-n", this.bridge, "link", "set", `p${i}`, "master", "br0", "up"]);
      this.run(["ip", "-n", ns, "addr", "add", this.ip(i, 24), "dev", "eth0"]);
      if (opts.ipv6) this.run(["ip", "-n", ns, "addr", "add", this.ip6(i, 64), "dev", "eth0", "nodad"]);
      this.run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
      this.run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
  }

  /** Node i's own address (i from 1). */
  ip(i: number, prefix?: number): string {
    return `10.77.0.${i}${prefix ? `/${prefix}` : ""}`;
  }

  /** Node i's own IPv6 address (with `ipv6`). */
  ip6(i: number, prefix?: number): string {
    return `fd00:77::${i}${prefix ? `/${prefix}` : ""}`;
  }

  /** Node i's IPv6 link-local address on eth0. */
  linkLocal(i: number): string {
    const m = /inet6 (fe80::[0-9a-f:]+)\//.exec(this.sh(i, "ip -6 -o addr show dev eth0 scope link").out);
    if (!m) throw new Error(`node ${i} has no link-local address`);
    return m[1]!;
  }

  ns(i: number): string {
    return this.nodes[i - 1]!;
  }

  run(argv: string[]): string {
    const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString().trim()}`);
    return r.stdout.toString();
  }

  /** Run a shell command in node i; returns exit code and output (never throws). */
  sh(i: number, cmd: string): { code: number; out: string } {
    const r = Bun.spawnSync(["ip", "netns", "exec", this.ns(i), "sh", "-c", cmd], {
      stdout: "pipe",
      stderr: "pipe",
    });
    return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
  }

  mac(i: number): string {
    return this.sh(i, "cat /sys/class/net/eth0/address").out.trim();
  }

  hasAddr(i: number, ip: string): boolean {
    const fam = ip.includes(":") ? "-6" : "-4";
    return this.sh(i, `ip ${fam} -o addr show dev eth0`).out.includes(` ${ip}/`);
  }

  /** Start a long-running process in node i, collecting its output lines. */
  spawn(i: number, argv: string[], stdin: "ignore" | "pipe" = "ignore"): Proc {
    const proc = Bun.spawn(["ip", "netns", "exec", this.ns(i), ...argv], {
      stdin,
      stdout: "pipe",
      stderr: "pipe",
    });
    const lines: string[] = [];
    const pump = async (s: ReadableStream<Uint8Array>) => {
      let rest = "";
      for await (const chunk of s) {
        rest += new TextDecoder().decode(chunk);
        const parts = rest.split("\n");
        rest = parts.pop()!;
        lines.push(...parts);
      }
      if (rest) lines.push(rest);
    };
    const done = Promise.all([pump(proc.stdout), pump(proc.stderr)]).then(() => proc.exited);
    const p = { proc, lines, done };
    this.procs.push(p);
    return p;
  }

  destroy(): void {
    for (const p of this.procs) if (p.proc.exitCode === null) p.proc.kill(9);
    for (const ns of [...this.nodes, this.bridge]) Bun.spawnSync(["ip", "netns", "del", ns]);
  }
}

/** Wait until a line matching `re` appears (after index `from`); returns its index or throws. */
export async function waitLine(p: Proc, re: RegExp, timeoutMs: number, from = 0): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const i = p.lines.findIndex((l, k) => k >= from && re.test(l));
    if (i >= 0) return i;
    await Bun.sleep(20);
  }
  throw new Error(`no line matching ${re} within ${timeoutMs} ms; got:\n${p.lines.slice(-30).join("\n")}`);
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (cond()) return Date.now() - start;
    await Bun.sleep(20);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
