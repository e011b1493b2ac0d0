// `tcpvs check vrrp NAME [--expect master|backup]`: a Nagios check of a VRRP instance run by a live
// tcpvs (serve or vrrp), asked over its control channel. OK when the state is the one expected (or,
// with no --expect, master or backup); WARNING when an operator holds it in backup (a hold forgotten
// is how a node stays backup for ever); CRITICAL when the state differs or the daemon cannot be
// reached; UNKNOWN for a bad call or an instance the daemon does not run.

import { ControlClient } from "../control/control-client.ts";
import { ControlError } from "../control/control-error.ts";
import type { StatusTarget } from "./run-status.ts";
import type { StatusSnapshot, VrrpSnapshot } from "../control/snapshot.ts";
import { readTokenFile } from "../control/token.ts";
import { NAGIOS, statusWord, unknownJson, withPerf } from "./nagios-output.ts";

export interface VrrpCheckOptions {
  name?: string;
  expect?: string;
  json: boolean;
  quiet: boolean;
  /** Where the daemon's control channel is; resolving it may fail (a bad config): then UNKNOWN. */
  target: () => StatusTarget;
  write?: (text: string) => void;
}

const EXPECTABLE = ["master", "backup"];

function verdict(v: VrrpSnapshot, expect: string | undefined): { code: number; text: string } {
  const facts = `priority ${v.priority}${v.vrid !== null ? `, vrid ${v.vrid}` : ""}${v.interface ? `, ${v.interface}` : ""}`;
  if (expect !== undefined && v.state !== expect)
    return { code: 2, text: `${v.name} is ${v.state}, expected ${expect} (${facts})` };
  if (expect === undefined && !EXPECTABLE.includes(v.state))
    return { code: 2, text: `${v.name} is ${v.state} (${facts}): ${v.reason}` };
  if (v.held) return { code: 1, text: `${v.name} is ${v.state}, held in backup by an operator (${facts})` };
  return { code: 0, text: `${v.name} is ${v.state}${expect ? ", as expected" : ""} (${facts})` };
}

export async function runVrrpCheck(o: VrrpCheckOptions): Promise<number> {
  const write = o.write ?? ((t: string) => process.stdout.write(t));
  const say = (t: string) => {
    if (!o.quiet) write(t);
  };
  const unknown = (message: string, code = "usage") => {
    say(o.json ? `${JSON.stringify(unknownJson(message, code))}\n` : `TCPVS VRRP UNKNOWN - ${message}\n`);
    return 3;
  };
  if (!o.name) return unknown("Name the instance: tcpvs check vrrp NAME [--expect master|backup]");
  const expect = o.expect?.toLowerCase();
  if (expect !== undefined && !EXPECTABLE.includes(expect))
    return unknown(`Use --expect master or --expect backup, not "${o.expect}"`);
  let client: ControlClient | undefined;
  let snap: StatusSnapshot;
  try {
    const target = o.target();
    const token = target.tokenFile ? readTokenFile(target.tokenFile) : undefined;
    client = await ControlClient.connect(target.controlAddress, { token, clientName: "tcpvs-check" });
    snap = (await client.request("status")) as StatusSnapshot;
  } catch (e) {
    const message = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    if (!(e instanceof ControlError)) return unknown(message, "config_invalid");
    // The daemon that should hold the instance is not there: the service is down.
    say(
      o.json
        ? `${JSON.stringify({ ...unknownJson(message, e.code), status: "critical", exit_code: 2 })}\n`
        : `TCPVS VRRP CRITICAL - ${message}\n`,
    );
    return 2;
  } finally {
    client?.close();
  }
  const v = snap.vrrp.find((x) => x.name === o.name);
  if (!v) {
    const names = snap.vrrp.map((x) => x.name).join(", ") || "none";
    return unknown(`Name an instance the daemon runs (${names}): "${o.name}" is not one`, "not_found");
  }
  const { code, text } = verdict(v, expect);
  if (o.json)
    say(
      `${JSON.stringify({ ok: code === 0, status: statusWord(code), exit_code: code, expect: expect ?? null, message: text, vrrp: v })}\n`,
    );
  else say(`${withPerf(`TCPVS VRRP ${NAGIOS[code]} - ${text}`, `priority=${v.priority};;;0;255`)}\n`);
  return code;
}
