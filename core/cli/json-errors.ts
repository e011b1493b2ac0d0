// The error half of the JSON contract (docs/json.md, docs/schema/error.schema.json): whatever failed,
// a --json caller gets `{"ok": false, "errors": [...]}` on stdout, each error with a message and, when
// known, its stable code and where in the config file it is (file, line, column, key).

import { ConfigError } from "../config/load.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";

export interface JsonErrorItem {
  code: string;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  key: string | null;
}

export interface JsonFailure {
  ok: false;
  errors: JsonErrorItem[];
}

/** One error (a config error: one item per problem) as the JSON contract's failure object. */
export function jsonFailure(err: unknown, file: string | null = null): JsonFailure {
  const code = err instanceof TcpvsError ? err.code : "internal";
  if (err instanceof ConfigError && err.problems.length > 0) {
    return {
      ok: false,
      errors: err.problems.map((p) => ({
        code,
        message: p.message,
        file: p.file,
        line: p.line,
        column: p.column,
        key: p.path || null,
      })),
    };
  }
  const message = (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
  return { ok: false, errors: [{ code, message, file, line: null, column: null, key: null }] };
}

/** A failure with no place in a file: a control-channel refusal, a usage error. */
export function jsonError(code: string, message: string): JsonFailure {
  return { ok: false, errors: [{ code, message, file: null, line: null, column: null, key: null }] };
}
