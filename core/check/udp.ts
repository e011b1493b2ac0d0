// UDP check: send a payload, expect a reply (matching `expect` as a regex when set). An ICMP port
// unreachable is "refused"; silence until the timeout is "no reply".

import { udpExchange } from "./udp-exchange.ts";
import { CheckFailure, type CheckFn, measure } from "./types.ts";

export const udpCheck: CheckFn = (check, target) =>
  measure(async () => {
    let re: RegExp | undefined;
    try {
      re = check.expect !== undefined ? new RegExp(check.expect) : undefined;
    } catch {
      throw new CheckFailure(`bad expect ${JSON.stringify(check.expect)}: not a regular expression`);
    }
    const payload = new TextEncoder().encode(check.send ?? "");
    const reply = await udpExchange(target, payload, check.timeout, (b) => new TextDecoder().decode(b));
    if (re && !re.test(reply)) {
      return {
        ok: false,
        reason: `reply ${JSON.stringify(reply.slice(0, 60))} does not match /${re.source}/`,
      };
    }
    return { ok: true, reason: `reply of ${reply.length} bytes` };
  });
