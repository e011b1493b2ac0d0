// What each `tcpvs check` flag means and a value that works, for --help, the man page and completion.
// The flags themselves are the config's check keys (core/check/cli-args.ts reads them).

export interface FlagDoc {
  arg: string;
  description: string;
  example: string;
}

export const CHECK_FLAG_DOCS: Record<string, FlagDoc> = {
  timeout: { arg: "DURATION", description: "give up after this long (the unit is required)", example: "2s" },
  port: { arg: "PORT", description: "connect to this port instead of the target's", example: "8081" },
  method: { arg: "METHOD", description: "http, https: the request method (default GET)", example: "HEAD" },
  path: { arg: "PATH", description: "http, https: the request path (default /)", example: "/health" },
  host: { arg: "NAME", description: "http, https: the Host header", example: "app.example.org" },
  status: {
    arg: "CODES",
    description: "http, https: the status codes that pass (default 200-399)",
    example: "200,301-302",
  },
  "body-regex": { arg: "REGEX", description: "http, https: the body must match", example: "^ok" },
  digest: {
    arg: "MD5HEX",
    description: "http, https: the body's MD5 must be this",
    example: "9a0364b9e99bb480dd25e1f0284c8555",
  },
  sni: { arg: "NAME", description: "https: the TLS server name to send", example: "app.example.org" },
  "http-version": { arg: "VERSION", description: "http, https: 1.0 or 1.1 (default 1.1)", example: "1.0" },
  "helo-name": { arg: "NAME", description: "smtp: the name in HELO", example: "lb1.example.org" },
  name: { arg: "NAME", description: "dns: the name to ask for", example: "example.org" },
  "record-type": { arg: "TYPE", description: "dns: the record type to ask for (default SOA)", example: "A" },
  type: { arg: "TYPE", description: "dns: the same as --record-type (older spelling)", example: "A" },
  "expect-answer": {
    arg: "TEXT",
    description: "dns: an answer that must be in the reply",
    example: "192.0.2.7",
  },
  send: {
    arg: "TEXT",
    description: "udp, expect: send this (\\r \\n \\xHH escapes); pairs with --expect in order",
    example: "'PING\\r\\n'",
  },
  expect: {
    arg: "REGEX",
    description: "udp, expect: the reply must match; vrrp: the state that is OK (master or backup)",
    example: "'^\\+PONG'",
  },
  script: {
    arg: "COMMAND",
    description: "script: the command to run (exit 0 up, else down)",
    example: "/usr/local/bin/check-app",
  },
  pool: { arg: "NAME", description: "with -c FILE: only this pool's checks", example: "web" },
  insecure: { arg: "", description: "https: do not verify the server's certificate", example: "" },
  dynamic: { arg: "", description: "script: exit 2-255 sets the server's weight to code-2", example: "" },
  quiet: { arg: "", description: "print nothing; the exit code tells", example: "" },
};

/** The doc of a flag, or a plain one for a flag added elsewhere and not described here yet. */
export function checkFlagDoc(name: string): FlagDoc {
  return (
    CHECK_FLAG_DOCS[name] ?? {
      arg: "VALUE",
      description: `the check key ${name.replace(/-/g, "_")}`,
      example: "",
    }
  );
}
