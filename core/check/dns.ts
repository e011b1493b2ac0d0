// DNS_CHECK: a UDP query; up on a reply with QR set, our id and NOERROR, and, when `expect_answer`
// is set, an answer record whose text equals it.

import { DnsError, RCODES, decodeReply, encodeQuery, recordType } from "./dns-message.ts";
import { udpExchange } from "./udp-exchange.ts";
import { CheckFailure, type CheckFn, measure } from "./types.ts";
import { formatIp, parseIp } from "../net/ip.ts";

export const dnsCheck: CheckFn = (check, target) =>
  measure(async () => {
    let type: number;
    let query: Uint8Array;
    const id = Math.floor(Math.random() * 0x10000);
    try {
      type = recordType(check.record_type);
      query = encodeQuery(id, check.name, type);
    } catch (e) {
      throw new CheckFailure((e as Error).message);
    }
    const reply = await udpExchange(target, query, check.timeout, (buf) => {
      try {
        const r = decodeReply(buf);
        return r.qr && r.id === id ? r : undefined;
      } catch (e) {
        if (e instanceof DnsError) return undefined;
        throw e;
      }
    });
    if (reply.rcode !== 0) return { ok: false, reason: RCODES[reply.rcode] ?? `rcode ${reply.rcode}` };
    if (check.expect_answer !== undefined) {
      // Answers come back as RFC 5952 text; an expected address written another way still matches.
      const norm = (t: string) => {
        const ip = parseIp(t);
        return ip ? formatIp(ip) : t.replace(/\.$/, "").toLowerCase();
      };
      const want = norm(check.expect_answer);
      const got = reply.answers.filter((a) => a.type === type).map((a) => a.data);
      if (!got.some((d) => norm(d) === want)) {
        const seen = got.length ? got.join(", ") : "no answer";
        return {
          ok: false,
          reason: `answer ${JSON.stringify(seen)} is not ${JSON.stringify(check.expect_answer)}`,
        };
      }
    }
    return { ok: true, reason: `NOERROR, ${reply.answers.length} answer(s)` };
  });
