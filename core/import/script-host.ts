// What the importer asks of the machine it runs on, through the same rules `tcpvs config check`
// applies: whether a script_user exists, and whether a script would pass enable_script_security.
// keepalived checked both on the node at run time; tcpvs refuses the whole file at `config check`, so
// the importer must know before it writes either setting. Injected, so tests can stand in a machine.

import { insecureReason, realFs, type SecurityFs } from "../config/script-security.ts";
import { parseScriptUser, setprivPrefix } from "../exec/script-user.ts";

export interface ScriptHost {
  /** Why config check would refuse `script_user = text` on this machine, or undefined. */
  userProblem(text: string): string | undefined;
  /** Why config check would refuse this command under enable_script_security, or undefined. */
  scriptProblem(command: string): string | undefined;
}

export function scriptHost(fs: SecurityFs): ScriptHost {
  return {
    userProblem(text) {
      const u = parseScriptUser(text);
      if (!u) return `"${text}" is not USER [GROUP]`;
      try {
        setprivPrefix(u);
        return undefined;
      } catch (e) {
        // "Create user "x" or change script_user: no such user" -> "no user "x"".
        const m = /^Create (user|group) ("[^"]*") or change script_user: no such \1$/.exec(
          (e as Error).message,
        );
        return m ? `no ${m[1]} ${m[2]}` : (e as Error).message;
      }
    },
    scriptProblem: (command) => insecureReason(command, fs),
  };
}

export const realScriptHost: ScriptHost = scriptHost(realFs);
