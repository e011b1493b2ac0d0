// What `tcpvs init` needs to know, how each answer is checked (the same checks for prompts and flags),
// and the flags of the non-interactive mode.

import { type AnyOptionValues, list, parseArgv, str } from "../cli/parse-argv.ts";
import { UsageError } from "../cli/usage-error.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";
import { readCidr } from "../net/cidr.ts";
import { checkKey } from "../config/check-key.ts";
import { poolSection, serverSection } from "../config/schema.ts";
import { virtualServerSection } from "../config/virtual-server-schema.ts";
import { vrrpSection } from "../config/vrrp-schema.ts";
import { INIT_OPTIONS } from "./init-options.ts";

export type Role = "master" | "backup";
export type InitCheck = { type: "tcp" } | { type: "http"; path: string };
/** A backend: `name` absent means the config names it by its address. */
export interface InitServer {
  address: string;
  name?: string;
}
/** VRRP over unicast: this node's address and its peer's (the peer's file has them swapped). */
export interface InitUnicast {
  self: string;
  peer: string;
}

export interface InitAnswers {
  role: Role;
  /** "10.0.0.100/24" */
  vip: string;
  interface: string;
  vrid: number;
  /** The app on this node and on its peer. */
  backends: InitServer[];
  check: InitCheck;
  listen: string;
  /** Undefined: multicast adverts. */
  unicast: InitUnicast | undefined;
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
  /** The schema's rules for a server: an IP address and a port (never a host name), and its name. */
  backend(v: string): string | undefined {
    const s = parseServer(v);
    const e = checkKey(serverSection, "address", s.address);
    if (e) return `Give a backend as address:port, like 10.0.0.1:8080: ${e}`;
    return s.name === undefined ? undefined : check.name(s.name, s.address);
  },
  name(v: string, address = "the server"): string | undefined {
    if (v.trim() === "") return `Give ${address} a name after "=", or leave out the "="`;
    const e = checkKey(serverSection, "name", v.trim());
    return e && `Give ${address} a name the config takes: ${e}`;
  },
  /** The schema's rule for a listener, as `listen` in a [[virtual_server]]. */
  listen(v: string): string | undefined {
    const e = checkKey(virtualServerSection, "listen", [v.trim()]);
    return e && `Give the listen address as address:port, like 0.0.0.0:80: ${e}`;
  },
  /** Each backend, then the pool's rules over all of them (no two with one name). */
  backends(v: string | string[]): string | undefined {
    const list = typeof v === "string" ? splitList(v) : v;
    if (list.length === 0) return "Give at least one backend address:port";
    for (const b of list) {
      const e = check.backend(b);
      if (e) return e;
    }
    const e = checkKey(poolSection, "server", list.map(parseServer));
    return e && `Give each backend its own name: ${e}`;
  },
  /** A VRRP unicast address, as `unicast_src_ip` and `unicast_peer` take it beside this VIP. */
  unicast(v: string, vip: string | undefined, what = "unicast address"): string | undefined {
    const beside = vip === undefined || check.vip(vip) ? {} : { virtual_ipaddress: [vip.trim()] };
    const e =
      checkKey(vrrpSection, "unicast_src_ip", v.trim(), beside) ??
      checkKey(vrrpSection, "unicast_peer", [v.trim()], beside);
    return e && `Give the ${what} as an IP address, like 10.0.0.11: ${e}`;
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

/** "10.0.0.11:8080=web-a" → address and name; the address alone leaves the name to the config. */
export function parseServer(v: string): InitServer {
  const t = v.trim();
  const eq = t.lastIndexOf("=");
  return eq < 0 ? { address: t } : { address: t.slice(0, eq).trim(), name: t.slice(eq + 1).trim() };
}

export function parseCheck(v: string): InitCheck | undefined {
  if (v === "tcp") return { type: "tcp" };
  if (v === "http") return { type: "http", path: "/" };
  const m = /^http:(\/[\x21-\x7e]*)$/.exec(v);
  return m ? { type: "http", path: m[1]! } : undefined;
}

export const INIT_USAGE = `usage: tcpvs init                       (interactive, on a terminal)
       tcpvs init --role master|backup --vip 10.0.0.100/24 --interface eth0 --vrid 51
                  --backend 10.0.0.1:8080=node-a --backend 10.0.0.2:8080=node-b --check http:/health
                  --out tcpvs.toml --peer-out tcpvs-peer.toml [--listen 0.0.0.0:80]
                  [--unicast-src-ip 10.0.0.1 --unicast-peer 10.0.0.2] [--force]`;

/** Flags as given; absent ones stay undefined so the prompts can ask for them. */
export type InitFlags = Partial<
  Record<
    | "role"
    | "vip"
    | "interface"
    | "vrid"
    | "check"
    | "listen"
    | "out"
    | "peerOut"
    | "unicastSrcIp"
    | "unicastPeer",
    string
  >
> & {
  backends: string[];
  force: boolean;
};

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
    unicastSrcIp: one("unicast-src-ip"),
    unicastPeer: one("unicast-peer"),
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
  const bad = f.backends.map(check.backend).filter((e) => e !== undefined);
  problems.push(...bad);
  if (bad.length === 0 && f.backends.length > 0) {
    const e = check.backends(f.backends);
    if (e) problems.push(e);
  }
  if (f.listen !== undefined) {
    const e = check.listen(f.listen);
    if (e) problems.push(e);
  }
  const { unicastSrcIp: src, unicastPeer: peer } = f;
  if ((src === undefined) !== (peer === undefined))
    problems.push("Give --unicast-src-ip and --unicast-peer together (or neither, for multicast)");
  for (const [flag, v] of [
    ["--unicast-src-ip", src],
    ["--unicast-peer", peer],
  ] as const) {
    const e = v === undefined ? undefined : check.unicast(v, f.vip, `${flag} address`);
    if (e) problems.push(e);
  }
  if (src !== undefined && src.trim() === peer?.trim())
    problems.push("Give --unicast-peer the peer's address, not this node's (--unicast-src-ip)");
  if (f.out !== undefined && f.out === f.peerOut) problems.push("Give --out and --peer-out different files");
  if (problems.length > 0) throw new InitError("usage", problems.join("\n"));
  return {
    role: f.role as Role,
    vip: f.vip!.trim(),
    interface: f.interface!.trim(),
    vrid: Number(f.vrid),
    backends: f.backends.map(parseServer),
    check: parseCheck(f.check!)!,
    listen: f.listen?.trim() ?? "0.0.0.0:80",
    unicast: src !== undefined && peer !== undefined ? { self: src.trim(), peer: peer.trim() } : undefined,
    out: f.out!,
    peerOut: f.peerOut!,
    force: f.force,
  };
}
