// Endpoints: where something listens or is reached. The one parser behind the config (listen, server
// address, sorry_server, control, metrics), the `tcpvs check` target, the control client's --control
// and `tcpvs init --backend`.
//
// THE HOST NAME RULE: an endpoint is an IP literal or a unix socket path, never a host name. A director
// must not depend on DNS at run time (a resolver outage would take servers down or move them), a name
// that resolves to several addresses has no single server identity, and `tcpvs config check` could not
// vouch for a name it cannot resolve offline. The refusal says to write the address.
//
// Forms: "10.0.0.1:80", "[2001:db8::1]:80", "[fe80::1%eth0]:80" (zone rule: core/net/ip.ts),
// "unix:/run/x.sock" or "/run/x.sock"; "10.0.0.1" and "[::1]" only where the caller gives a default
// port. An IPv6 address always goes in brackets: "::1:80" could be either an address or ::1 port 80.

import type { Parsed } from "../errors/tcpvs-error.ts";
import { formatIp, IpAddressError, readIp } from "./ip.ts";

export type Endpoint =
  | {
      kind: "inet";
      /** Canonical address text, with "%zone" for a zoned link-local address: what sockets take. */
      host: string;
      port: number;
      family: 4 | 6;
      /** The zone of a link-local IPv6 address, also the suffix of `host`. */
      zone?: string;
      /** Canonical "10.0.0.1:80" / "[fe80::1%eth0]:80": one spelling per endpoint, used as its id. */
      text: string;
    }
  | { kind: "unix"; path: string; text: string };

/** "host:port" with brackets for IPv6, the canonical text of an inet endpoint. */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The endpoint, or why `text` is not one: a fragment starting `invalid address "TEXT": `. */
export function readEndpoint(text: string, defaultPort?: number): Parsed<Endpoint> {
  const r = read(text, defaultPort);
  return r.ok ? r : { ok: false, error: `invalid address ${JSON.stringify(text)}: ${r.error}` };
}

/** The endpoint; throws IpAddressError (code bad_address) with the reason and the fix. */
export function endpointOf(text: string, defaultPort?: number): Endpoint {
  const r = read(text, defaultPort);
  if (!r.ok) throw new IpAddressError(`Cannot use address ${JSON.stringify(text)}: ${r.error}`);
  return r.value;
}

function read(text: string, defaultPort: number | undefined): Parsed<Endpoint> {
  const bad = (why: string): Parsed<Endpoint> => ({ ok: false, error: why });
  if (text.startsWith("unix:") || text.startsWith("/")) {
    const path = text.startsWith("unix:") ? text.slice(5) : text;
    if (!path.startsWith("/")) return bad("the unix socket path must be absolute");
    return { ok: true, value: { kind: "unix", path, text: `unix:${path}` } };
  }
  let hostText: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return bad('missing "]" after the IPv6 address');
    hostText = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return bad('expected ":PORT" after "]"');
    portText = rest === "" ? undefined : rest.slice(1);
    if (!hostText.includes(":")) return bad(`brackets are for IPv6 only; write ${JSON.stringify(hostText)}`);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0 && text.indexOf(":") !== colon) {
      return bad('write IPv6 addresses in brackets, e.g. "[::1]:80"');
    }
    hostText = colon >= 0 ? text.slice(0, colon) : text;
    portText = colon >= 0 ? text.slice(colon + 1) : undefined;
  }
  const ip = readIp(hostText);
  if (!ip.ok) {
    // A name is the common case of "not an address": say why names are refused and what to write.
    const name = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(hostText) && /[A-Za-z]/.test(hostText);
    return bad(
      name
        ? `${JSON.stringify(hostText)} is not an IPv4 or IPv6 address; tcpvs does not resolve host names, write the address, e.g. "10.0.0.1${portText === undefined ? "" : `:${portText}`}"`
        : ip.error,
    );
  }
  if (portText === undefined && defaultPort === undefined) {
    const h = formatIp(ip.value);
    return bad(`a port is required, e.g. ${JSON.stringify(hostPort(h, 80))}`);
  }
  const port = portText === undefined ? defaultPort! : Number(portText);
  if (portText !== undefined && (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535)) {
    return bad(`port "${portText}" is not in 1-65535`);
  }
  const host = formatIp(ip.value);
  const value: Endpoint = { kind: "inet", host, port, family: ip.value.family, text: hostPort(host, port) };
  if (ip.value.zone !== undefined) value.zone = ip.value.zone;
  return { ok: true, value };
}
