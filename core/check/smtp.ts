// SMTP_CHECK: a 220 banner, EHLO (HELO if the server refuses EHLO) answered with 250, then QUIT.

import { ProbeConn } from "./probe-conn.ts";
import { CheckFailure, type CheckFn, measure } from "./types.ts";

export interface SmtpReply {
  code: number;
  /** The reply's lines joined with " / ", for messages. */
  text: string;
  /** Bytes the reply took, including its last line feed. */
  length: number;
}

/** Read one (possibly multi-line "250-...") SMTP reply; undefined while incomplete. */
export function smtpReply(buf: Uint8Array): SmtpReply | undefined {
  const text = new TextDecoder("latin1").decode(buf);
  const lines: string[] = [];
  let at = 0;
  for (;;) {
    const nl = text.indexOf("\n", at);
    if (nl < 0) return undefined;
    const line = text.slice(at, nl).replace(/\r$/, "");
    at = nl + 1;
    lines.push(line);
    if (!/^\d{3}-/.test(line)) {
      const m = /^(\d{3})(?: |$)/.exec(line);
      const joined = lines.join(" / ");
      const short = joined.length > 80 ? `${joined.slice(0, 77)}...` : joined;
      return { code: m ? Number(m[1]) : 0, text: short, length: at };
    }
    if (lines.length > 100) throw new CheckFailure("SMTP reply has too many lines");
  }
}

/** Read the next reply on the connection; `consumed` tracks bytes taken by earlier replies. */
function nextReply(conn: ProbeConn, consumed: { n: number }): Promise<SmtpReply> {
  return conn.read((buf) => {
    const r = smtpReply(buf.subarray(consumed.n));
    if (r) consumed.n += r.length;
    return r;
  });
}

export const smtpCheck: CheckFn = (check, target) =>
  measure(async () => {
    const conn = await ProbeConn.open(target, check.timeout);
    const consumed = { n: 0 };
    try {
      const banner = await nextReply(conn, consumed);
      if (banner.code !== 220) return { ok: false, reason: `banner ${JSON.stringify(banner.text)}` };
      conn.write(`EHLO ${check.helo_name}\r\n`);
      let hello = await nextReply(conn, consumed);
      if (hello.code >= 500 && hello.code <= 504) {
        conn.write(`HELO ${check.helo_name}\r\n`);
        hello = await nextReply(conn, consumed);
      }
      if (hello.code !== 250) return { ok: false, reason: `HELO answered ${JSON.stringify(hello.text)}` };
      conn.write("QUIT\r\n");
      // Politeness only: a server that drops the line after QUIT is still up.
      await nextReply(conn, consumed).catch(() => undefined);
      return { ok: true, reason: `banner ${banner.code}, HELO 250` };
    } finally {
      conn.close();
    }
  });
