// The shared secret of the control channel: read from a file both the daemon and `tcpvs status` can
// see, compared in constant time.

import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { ControlError } from "./control-error.ts";

/** Read a token file: the first line, trimmed. Throws ControlError with a message naming the file. */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String(code);
    throw new ControlError("bad_config", `Cannot read token file "${path}": ${why}`);
  }
  const token = (text.split("\n")[0] ?? "").trim();
  if (token.length < 16) {
    throw new ControlError("bad_config", `Put a token of at least 16 characters in "${path}"`);
  }
  return token;
}

/** True when group or others may read the file: the daemon warns, since the token is then no secret. */
export function tokenFileTooOpen(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Pull the token out of `Authorization: Bearer <token>`. */
export function bearerToken(header: string | null): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
