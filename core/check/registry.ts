// Check types by name, as schedulers are in core/sched/registry.ts: one definition per type (its name,
// the config keys it reads, how its target is written, the probe), one list, one entry point. The keys
// come from the check schema's `for`, so the docs, the flags and this list cannot disagree.

import { checkKeysFor } from "../config/check-schema.ts";
import type { CheckConfig, CheckType, Endpoint } from "../config/types.ts";
import { dnsCheck } from "./dns.ts";
import { expectCheck } from "./expect.ts";
import { httpCheck } from "./http.ts";
import { icmpCheck } from "./icmp.ts";
import { scriptCheck } from "./script.ts";
import { smtpCheck } from "./smtp.ts";
import { tcpCheck } from "./tcp.ts";
import { type CheckFn, type CheckOutcome, targetOf } from "./types.ts";
import { udpCheck } from "./udp.ts";

export interface CheckTypeDef {
  name: CheckType;
  /** One line for docs and help: what "up" means. */
  summary: string;
  /** The port a bare host gets on the command line; absent: a port is required. */
  defaultPort?: number;
  /** A target may be left out on the command line (a script needs none). */
  targetOptional?: boolean;
  /** The [pool.NAME.check] keys this type reads besides those every type reads. */
  options: readonly string[];
  /** Probe once; never throws, never outlives `check.timeout` by much. */
  run: CheckFn;
}

function define(name: CheckType, def: Omit<CheckTypeDef, "name" | "options">): CheckTypeDef {
  return { name, options: checkKeysFor(name), ...def };
}

const DEFS: readonly CheckTypeDef[] = [
  define("tcp", { summary: "a connection is accepted (keepalived TCP_CHECK)", run: tcpCheck }),
  define("http", {
    summary: "the response's status, body and digest are as configured (HTTP_GET)",
    defaultPort: 80,
    run: httpCheck,
  }),
  define("https", { summary: "http over TLS (SSL_GET)", defaultPort: 443, run: httpCheck }),
  define("smtp", {
    summary: "a 220 banner, then 250 to EHLO or HELO (SMTP_CHECK)",
    defaultPort: 25,
    run: smtpCheck,
  }),
  define("dns", {
    summary: "a NOERROR reply, with the expected answer if set (DNS_CHECK)",
    defaultPort: 53,
    run: dnsCheck,
  }),
  define("icmp", { summary: "an echo reply (IPv4; needs a raw socket)", defaultPort: 0, run: icmpCheck }),
  define("udp", { summary: "a reply to the payload, matching `expect` if set", run: udpCheck }),
  define("script", { summary: "the command exits 0 (MISC_CHECK)", targetOptional: true, run: scriptCheck }),
  define("expect", { summary: "each send is answered with text matching its expect", run: expectCheck }),
];

const BY_NAME = new Map(DEFS.map((d) => [d.name, d]));

/** Every registered type, in registration order. */
export const checkTypeNames: readonly CheckType[] = DEFS.map((d) => d.name);

export function getCheckType(name: string): CheckTypeDef | undefined {
  return BY_NAME.get(name as CheckType);
}

export function isCheckType(s: string): s is CheckType {
  return BY_NAME.has(s as CheckType);
}

/** Probe `address` once with `check`; never throws, never outlives `check.timeout` by much. */
export function runOneCheck(check: CheckConfig, address: Endpoint): Promise<CheckOutcome> {
  return BY_NAME.get(check.type)!.run(check, targetOf(address, check.port));
}
