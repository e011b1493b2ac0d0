// The check types by name, and the one entry point that runs a configured check against a server.

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

export const CHECK_TYPES: Record<CheckType, CheckFn> = {
  tcp: tcpCheck,
  http: httpCheck,
  https: httpCheck,
  smtp: smtpCheck,
  dns: dnsCheck,
  icmp: icmpCheck,
  udp: udpCheck,
  script: scriptCheck,
  expect: expectCheck,
};

export function isCheckType(s: string): s is CheckType {
  return Object.hasOwn(CHECK_TYPES, s);
}

/** Probe `address` once with `check`; never throws, never outlives `check.timeout` by much. */
export function runOneCheck(check: CheckConfig, address: Endpoint): Promise<CheckOutcome> {
  return CHECK_TYPES[check.type](check, targetOf(address, check.port, check.connect_ip));
}
