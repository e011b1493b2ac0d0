// keepalived's script_user, enable_script_security and per-script users. tcpvs has the two global
// settings with keepalived's meaning, but no per-script user, and it checks both settings at
// `config check` (a missing user, or one insecure script, refuses the whole file) where keepalived
// checked them on the node at run time. So the importer writes a setting only when this machine
// passes it; otherwise it writes it commented out, with the reason on stderr, and the file still
// passes `config check`: the operator turns it on where the user and scripts are.

import { scriptRefs } from "../config/script-security.ts";
import type { ImportContext } from "./import-context.ts";
import type { KNode } from "./keepalived-parser.ts";

/** keepalived's default script user: keepalived_script when that user exists, else its own (root). */
const KA_DEFAULT_USER = "keepalived_script";

/** The user keepalived ran a script as when the script named none; undefined: keepalived's own. */
function keepalivedUser(ctx: ImportContext): string | undefined {
  const s = ctx.script;
  if (s.user === undefined) {
    const text = s.userNode?.args.join(" ");
    if (text) s.user = text;
    else if (s.userNode) s.user = null;
    else s.user = ctx.host.userProblem(KA_DEFAULT_USER) === undefined ? KA_DEFAULT_USER : null;
  }
  return s.user ?? undefined;
}

/**
 * A script's own `USER [GROUP]` (`notify_master CMD USER`, `user USER` in a vrrp_script or
 * MISC_CHECK): carried over when it is the user every script runs as anyway, else reported.
 * `statement`: the words are the whole statement (a `user` line), which is dropped, not noted.
 */
export function perScriptUser(ctx: ImportContext, n: KNode, words: string[], statement = false): void {
  if (words.length === 0) {
    if (statement) ctx.ledger.drop(n, "expected USER [GROUP]");
    return;
  }
  const text = words.join(" ");
  const global = keepalivedUser(ctx);
  if (text === global || (global === undefined && text === "root")) {
    if (statement) ctx.ledger.use(n);
    return;
  }
  const reason =
    global === undefined
      ? "tcpvs has no per-script user: every script runs as [global] script_user, which this file leaves unset (so as tcpvs's own user)"
      : `tcpvs has no per-script user: every script runs as [global] script_user ("${global}")`;
  if (statement) ctx.ledger.drop(n, reason);
  else ctx.ledger.note(n, `${n.keyword} ${text}`, reason);
}

const LATER = "written commented out in [global]: uncomment it on the node";

/** Decide script_user and enable_script_security once every script of the output is known. */
export function settleScriptSettings(ctx: ImportContext): void {
  const o = ctx.out;
  const raw = {
    pool: Object.fromEntries([...o.pools].map(([name, p]) => [name, { ...p.table, check: p.checks }])),
    vrrp: Object.fromEntries([...o.vrrp].map(([name, v]) => [name, v.table])),
  };
  const refs = scriptRefs(raw);
  const { userNode, securityNode } = ctx.script;
  const at = (n: KNode) => `from ${n.file}:${n.line}, see the import's stderr`;
  if (userNode) {
    const text = userNode.args.join(" ");
    const problem = text ? ctx.host.userProblem(text) : "expected USER [GROUP]";
    if (!text) ctx.ledger.drop(userNode, problem!);
    else if (problem === undefined) {
      o.global.script_user = text;
      ctx.ledger.use(userNode);
    } else {
      ctx.ledger.drop(
        userNode,
        `config check refuses it on this machine (${problem}); ${LATER} where the user exists (until then scripts run as tcpvs's own user)`,
      );
      ctx.globalComments.push(`script_user = ${JSON.stringify(text)}  # ${at(userNode)}`);
    }
  } else if (refs.length > 0 && keepalivedUser(ctx) === KA_DEFAULT_USER) {
    // keepalived ran these scripts as keepalived_script without being told to; so does the import.
    o.global.script_user = KA_DEFAULT_USER;
    ctx.globalComments.push(
      `script_user: keepalived's default, as user ${KA_DEFAULT_USER} exists on the machine that imported`,
    );
  }
  if (!securityNode) return;
  const refused = refs.flatMap((r) => {
    const why = ctx.host.scriptProblem(r.command);
    return why === undefined ? [] : [`${r.path}: ${why}`];
  });
  if (refused.length === 0) {
    o.global.enable_script_security = true;
    ctx.ledger.use(securityNode);
    return;
  }
  const what = refused.length === 1 ? "a script" : `${refused.length} scripts`;
  const first = refused.length === 1 ? "" : "the first, ";
  ctx.ledger.drop(
    securityNode,
    `config check would refuse ${what} on this machine (${first}${refused[0]}); ${LATER} once every script is there, root-owned and writable by root only`,
  );
  ctx.globalComments.push(`enable_script_security = true  # ${at(securityNode)}`);
}
