// What `tcpvs init` needs to know, how each answer is checked (the same checks for prompts and flags),
// and the flags of the non-interactive mode.

import { type AnyOptionValues, list, type OptionSpec, parseArgv, str } from "../cli/parse-argv.ts";
import { UsageError } from "../cli/usage-error.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";
import { readCidr } from "../net/cidr.ts";
import { readEndpoint } from "../net/endpoint.ts";
import { checkKey } from "../config/check-key.ts";
import { serverSection } from "../config/schema.ts";
import { vrrpSection } from "../config/vrrp-schema.ts";

export type Role = "master" | "backup";
export type InitCheck = { type: "tcp" } | { type: "http"; path: string };

export interface InitAnswers {
  role: Role;
  /** "10.0.0.100/24" */
  vip: string;
  interface: string;
  vrid: number;
  /** "10.0.0.1:8080": the app on this node and on its peer. */
  backends: string[];
  check: InitCheck;
  listen: string;
  out: string;
  peerOut: string;
  force: boolean;
}

export class InitError extends TcpvsError {
  declare readonly code: "usage" | "file_exists" | "write_failed" | "config_invalid";
  constructor(code: InitError["code"], message: string) {
    super(code, message);
    this.name = "InitError";
  }
}

/** Each returns an error message, or undefined when the value is fine (clack's validate contract). */
export const check = {
  role(v: string): string | undefined {
    return v === "master" || v === "backup" ? undefined : `Use role master or backup, not "${v}"`;
  },
  vip(v: string): string | undefined {
    const c = readCidr(v.trim());
    if (!c.ok || c.value.address.family !== 4 || !v.includes("/")) {
      return `Give the VIP as an IPv4 address with prefix, like 10.0.0.100/24, not "${v}"`;
    }
    const e = checkKey(vrrpSection, "virtual_ipaddress", [v.trim()]);
    return e && `Give the VIP as the config takes it: ${e}`;
  },
  iface(v: string): string | undefined {
    return /^[A-Za-z0-9_.:-]{1,15}$/.test(v.trim())
      ? undefined
      : `Give an interface name like eth0, not "${v}"`;
  },
  /** The schema's rule for virtual_router_id, so init asks for what the config takes. */
  vrid(v: string): string | undefined {
    const key = vrrpSection.keys.virtual_router_id;
    const e = checkKey(vrrpSection, "virtual_router_id", key.fromText(v.trim()));
    return e && `Give the virtual router id as a number from 1 to 255, not "${v}": ${e}`;
  },
  /** The schema's rule for a server address: an IP address and a port, never a host name. */
  backend(v: string): string | undefined {
    const e = checkKey(serverSection, "address", v.trim());
    return e && `Give a backend as address:port, like 10.0.0.1:8080: ${e}`;
  },
  listen(v: string): string | undefined {
    const r = readEndpoint(v.trim());
    return r.ok ? undefined : `Give --listen as address:port, like 0.0.0.0:80: ${r.error}`;
  },
  backends(v: string): string | undefined {
    const list = splitList(v);
    if (list.length === 0) return "Give at least one backend address:port";
    for (const b of list) {
      const e = check.backend(b);
      if (e) return e;
    }
    return undefined;
  },
  check(v: string): string | undefined {
    return parseCheck(v) ? undefined : `Use check tcp, http or http:/path, not "${v}"`;
  },
  path(v: string): string | undefined {
    return /^\/[\x21-\x7e]*$/.test(v) ? undefined : `Give an HTTP path starting with /, not "${v}"`;
  },
};

export function splitList(v: string): string[] {
  return v
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseCheck(v: string): InitCheck | undefined {
  if (v === "tcp") return { type: "tcp" };
  if (v === "http") return { type: "http", path: "/" };
  const m = /^http:(\/[\x21-\x7e]*)$/.exec(v);
  return m ? { type: "http", path: m[1]! } : undefined;
}

export const INIT_USAGE = `usage: tcpvs init                       (interactive, on a terminal)
       tcpvs init --role master|backup --vip 10.0.0.100/24 --interface eth0 --vrid 51
                  --backend 10.0.0.1:8080 --backend 10.0.0.2:8080 --check http:/health
                  --out tcpvs.toml --peer-out tcpvs-peer.toml [--listen 0.0.0.0:80] [--force]`;

/** Flags as given; absent ones stay undefined so the prompts can ask for them. */
export type InitFlags = Partial<
  Record<"role" | "vip" | "interface" | "vrid" | "check" | "listen" | "out" | "peerOut", string>
> & {
  backends: string[];
  force: boolean;
};

export const INIT_OPTIONS = [
  {
    name: "role",
    type: "string",
    arg: "ROLE",
    description: "master (owns the VIP) or backup",
    example: "master",
    choices: ["master", "backup"],
  },
  {
    name: "vip",
    type: "string",
    arg: "CIDR",
    description: "the virtual IP with its prefix",
    example: "10.0.0.100/24",
  },
  {
    name: "interface",
    type: "string",
    arg: "IFACE",
    description: "interface for VRRP and the VIP",
    example: "eth0",
  },
  {
    name: "vrid",
    type: "string",
    arg: "N",
    description: "virtual router id 1-255, the same on both nodes",
    example: "51",
  },
  {
    name: "backend",
    type: "string",
    multiple: true,
    arg: "ADDR",
    description: "an application server (repeat, or comma-separate)",
    example: "10.0.0.11:8080",
  },
  {
    name: "check",
    type: "string",
    arg: "CHECK",
    description: 'health check: "tcp" or "http:/path"',
    example: "http:/health",
  },
  {
    name: "listen",
    type: "string",
    arg: "ADDR",
    description: "listener (default 0.0.0.0:80)",
    example: "0.0.0.0:8080",
  },
  {
    name: "out",
    type: "string",
    arg: "PATH",
    description: "this node's config file",
    example: "node-a.toml",
  },
  {
    name: "peer-out",
    type: "string",
    arg: "PATH",
    description: "the peer node's config file",
    example: "node-b.toml",
  },
  { name: "force", type: "boolean", description: "overwrite existing files without asking" },
] as const satisfies readonly OptionSpec[];

/** The answers given as flags (parsed by parseArgv with INIT_OPTIONS); an empty value counts as none. */
export function initFlagsFrom(values: AnyOptionValues): InitFlags {
  const one = (flag: string): string | undefined => {
    const v = str(values, flag);
    if (v === "") throw new UsageError("missing_value", `Give --${flag} a value`);
    return v;
  };
  const backends = list(values, "backend").flatMap((b) => {
    if (b === "") throw new UsageError("missing_value", "Give --backend a value");
    return splitList(b);
  });
  return {
    role: one("role"),
    vip: one("vip"),
    interface: one("interface"),
    vrid: one("vrid"),
    check: one("check"),
    listen: one("listen"),
    out: one("out"),
    peerOut: one("peer-out"),
    backends,
    force: values.force === true,
  };
}

/** Flags from argv, through the one parser (tests and callers without cmd/main.ts). */
export function parseInitFlags(argv: string[]): InitFlags {
  return initFlagsFrom(parseArgv(argv, INIT_OPTIONS, { command: "init" }).values);
}

/** Turn complete flags into answers, or one usage error naming every missing or bad flag. */
export function answersFromFlags(f: InitFlags): InitAnswers {
  const problems: string[] = [];
  const need = (name: string, v: string | undefined, ok: (v: string) => string | undefined) => {
    if (v === undefined) problems.push(`Give ${name} (missing)`);
    else {
      const e = ok(v);
      if (e) problems.push(e);
    }
  };
  need("--role", f.role, check.role);
  need("--vip", f.vip, check.vip);
  need("--interface", f.interface, check.iface);
  need("--vrid", f.vrid, check.vrid);
  need("--check", f.check, check.check);
  need("--out", f.out, () => undefined);
  need("--peer-out", f.peerOut, () => undefined);
  if (f.backends.length === 0) problems.push("Give --backend (missing)");
  for (const b of f.backends) {
    const e = check.backend(b);
    if (e) problems.push(e);
  }
  if (f.listen !== undefined) {
    const e = check.listen(f.listen);
    if (e) problems.push(e);
  }
  if (f.out !== undefined && f.out === f.peerOut) problems.push("Give --out and --peer-out different files");
  if (problems.length > 0) throw new InitError("usage", problems.join("\n"));
  return {
    role: f.role as Role,
    vip: f.vip!.trim(),
    interface: f.interface!.trim(),
    vrid: Number(f.vrid),
    backends: f.backends,
    check: parseCheck(f.check!)!,
    listen: f.listen ?? "0.0.0.0:80",
    out: f.out!,
    peerOut: f.peerOut!,
    force: f.force,
  };
}
