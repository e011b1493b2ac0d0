// keepalived's MISC_CHECK and UDP_CHECK as tcpvs "script" and "udp" checks.

import { perScriptUser } from "./convert-script-user.ts";
import { duration, type ImportContext, seconds, word } from "./import-context.ts";
import type { KNode } from "./keepalived-parser.ts";
import type { Table } from "./toml-writer.ts";

/** Hex as keepalived writes it ("Ab12f 3 456") to the bytes it stands for. */
function hexBytes(text: string): number[] | undefined {
  const out: number[] = [];
  for (const group of text.trim().split(/\s+/)) {
    if (!/^[0-9a-fA-F]+$/.test(group)) return undefined;
    const g = group.length % 2 ? `0${group}` : group;
    for (let i = 0; i < g.length; i += 2) out.push(Number.parseInt(g.slice(i, i + 2), 16));
  }
  return out;
}

/** UDP_CHECK: the payload as text, and whether a reply is needed. */
export function udpCheck(ctx: ImportContext, c: KNode, base: Table): Table {
  const u: Table = { type: "udp", ...base };
  let reply = false;
  for (const k of c.children ?? []) {
    if (k.keyword === "payload") {
      const bytes = hexBytes(k.args.join(" "));
      if (bytes?.every((b) => b < 0x80)) {
        u.send = String.fromCharCode(...bytes);
        ctx.ledger.use(k);
      } else ctx.ledger.drop(k, "tcpvs sends a text payload; this one is not ASCII");
    } else if (k.keyword === "require_reply") {
      reply = true;
      if (k.args.length > 0)
        ctx.ledger.note(k, "require_reply HEX", "tcpvs matches a reply against a regex, not hex");
      ctx.ledger.use(k);
    } else if (k.keyword === "min_reply_length" || k.keyword === "max_reply_length")
      ctx.ledger.drop(k, "tcpvs does not bound the reply's length");
  }
  if (!reply)
    ctx.ledger.note(
      c,
      "UDP_CHECK without require_reply",
      "keepalived passes when no ICMP error comes back; tcpvs needs a reply",
    );
  return u;
}

/** MISC_CHECK: the script, misc_dynamic, and a timeout that fits tcpvs's interval. */
export function miscCheck(ctx: ImportContext, c: KNode, base: Table, interval: number): Table {
  const t: Table = { type: "script", ...base, port: undefined };
  let timeout: number | undefined;
  for (const k of c.children ?? []) {
    if (k.keyword === "misc_path") {
      t.script = word(ctx, k);
      perScriptUser(ctx, k, k.args.slice(1));
    } else if (k.keyword === "misc_timeout") timeout = seconds(ctx, k);
    else if (k.keyword === "misc_dynamic") {
      ctx.ledger.use(k);
      t.dynamic = true;
    } else if (k.keyword === "user") perScriptUser(ctx, k, k.args, true);
  }
  // keepalived lets the script run for the whole delay_loop unless misc_timeout says otherwise.
  const want = timeout ?? interval;
  if (want >= interval) {
    const fit = Math.max(interval - 1000, Math.floor(interval / 2));
    ctx.ledger.note(
      c,
      "MISC_CHECK misc_timeout",
      `keepalived lets the script run up to ${duration(want)}; tcpvs needs a timeout shorter than the interval: written as ${duration(fit)}`,
    );
    t.timeout = duration(fit);
  } else t.timeout = duration(want);
  return t;
}
