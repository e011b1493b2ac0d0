// The one error base class of tcpvs and the one table of its codes. Callers branch on `code` and on
// the fields a subclass adds (problems, errno, status ...), never on the message text: messages are for
// people and may be reworded, codes are stable and shown in logs, exit paths and the control protocol.
//
// THE MESSAGE RULE (written once, here and in docs/errors.md): action first, the value quoted, the fix
// last. `Cannot parse tcpvs.toml:12:3: "x" is not a duration; write "10s"`. An imperative ("Use a
// dotted IPv4 address instead of "1.2.3"") is the same rule with the fix moved up front. Quote values
// with quote() below so a hostile value cannot break a log line.

/** Every code, with the one line an operator reads. A code means the same thing wherever it is thrown. */
export const ERROR_CODES = {
  // Usage and configuration
  usage: "a command line that cannot be run: an unknown flag, a missing or malformed value",
  config_not_found: "no config file at the path given or at the default paths",
  config_syntax: "the config file is not valid TOML",
  config_invalid: "the config file parses but breaks the schema; `problems` lists each at file:line:column",
  keepalived_syntax: "a keepalived.conf `tcpvs import` cannot read or parse; file, line and column say where",
  bad_address: "text that is not an IP address, CIDR prefix or endpoint of the kind asked for",
  file_exists: "a file that would be overwritten already exists",
  write_failed: "a file could not be written",
  // Processes
  spawn_failed: "a script or program could not be started",
  // Schedulers, rules, switch
  unknown_scheduler: "a pool names a scheduler that does not exist",
  bad_scheduler_options: "a scheduler was given options it does not accept",
  bad_rule: "a routing rule that cannot be compiled",
  listen_failed: "a listener could not bind its address",
  bad_config: "a value that passed the schema but cannot be used at run time (a token file, a rename ...)",
  // TLS certificates (reported by config check at the key naming the file)
  certificate_unreadable: "a certificate file or directory that cannot be read, or a directory without *.pem",
  certificate_not_pem: "a certificate file that holds no PEM certificate, or one that does not parse",
  certificate_no_key: "a certificate file without its private key, or with a key that does not parse",
  certificate_key_mismatch: "a certificate file whose private key is not the key of its certificate",
  // Health checks
  check_failed: "a probe failed; `reason` is what the operator sees",
  unknown_server: "a server id that no pool holds",
  bad_dns_message: "a DNS message or record type that cannot be encoded or decoded",
  // System calls
  sys_call_failed: "a system call failed; `errno` and `errnoName` say why",
  bad_interface: "an interface name that is too long or does not exist",
  // VRRP
  bad_vrrp_config: "a VRRP instance the protocol cannot run (family, VIPs, advert_int ...)",
  bad_vrrp_packet: "a VRRP packet that cannot be encoded",
  vrrp_worker_failed: "the VRRP worker stopped or reported an error",
  vrrp_worker_timeout: "the VRRP worker did not answer in time",
  // Control channel (also on the wire: docs/control.md)
  bad_request: "a control frame that is not a valid request",
  bad_version: "a message names a protocol version that is malformed or not spoken",
  unknown_method: "a control request names a method that does not exist",
  not_found: "a control request names a pool, server or instance that does not exist",
  rate_limited: "too many control requests; retry later",
  action_failed: "a control action was accepted but could not be carried out",
  unavailable: "this daemon has no handler for the request (e.g. reload in a VRRP-only daemon)",
  no_socket: "no control socket at the path given (is the daemon running?)",
  refused: "nothing listens at the control address",
  permission_denied: "the control socket or file is not accessible to this user",
  bad_token: "the daemon refused the control token (HTTP 401)",
  forbidden: "the daemon refused the control connection (HTTP 403)",
  connect_failed: "the control connection failed for another reason",
  timeout: "no answer within the time allowed",
  closed: "the connection closed before the answer",
  // HTTP/1.1 framing (core/http/errors.ts maps each to its status)
  bad_request_line: "a request line that is not METHOD SP target SP version",
  bad_method: "a method token with characters a token may not hold",
  bad_target: "a request target that is not origin, absolute, authority or asterisk form",
  version_not_supported: "an HTTP version other than 1.0 or 1.1",
  uri_too_long: "a request target longer than the limit",
  headers_too_large: "a head longer than the limit",
  too_many_headers: "more header fields than the limit",
  bare_lf: "a line ending in LF without CR",
  bare_cr: "a CR not followed by LF",
  obs_fold: "a header continued on the next line (obsolete folding)",
  space_before_colon: "whitespace between a header name and its colon",
  bad_header_name: "a header name with characters a token may not hold",
  bad_header_value: "a header value with control characters",
  missing_host: "an HTTP/1.1 request without Host",
  duplicate_host: "a request with two Host fields",
  bad_host: "a Host field that is not host[:port]",
  cl_and_te: "a message with both Content-Length and Transfer-Encoding",
  bad_content_length: "a Content-Length that is not a decimal number",
  conflicting_content_length: "two Content-Length values that differ",
  bad_transfer_encoding: "a Transfer-Encoding whose last coding is not chunked, or an unknown coding",
  te_on_http10: "Transfer-Encoding on an HTTP/1.0 message",
  bad_chunk_size: "a chunk-size line that is not hex",
  chunk_size_overflow: "a chunk size larger than the limit",
  bad_chunk: "chunk data not followed by CRLF",
  bad_expect: "an Expect other than 100-continue",
  body_too_large: "a body longer than the limit",
  bad_status_line: "a response status line that is not HTTP/1.x SP 3DIGIT",
  unsupported_method: "a method the switch does not forward (CONNECT)",
  incomplete_message: "the peer closed before the message ended",
} as const;

export type TcpvsErrorCode = keyof typeof ERROR_CODES;

/** The base of every error tcpvs throws on purpose. Subclasses narrow `code` and add fields. */
export class TcpvsError extends Error {
  readonly code: TcpvsErrorCode;

  constructor(code: TcpvsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TcpvsError";
    this.code = code;
  }
}

/** The code of any thrown value when it is a TcpvsError; undefined otherwise. */
export function codeOf(e: unknown): TcpvsErrorCode | undefined {
  return e instanceof TcpvsError ? e.code : undefined;
}

/** Quote a value for a message: JSON quotes, control bytes escaped, cut at `max` characters. */
export function quote(s: string, max = 40): string {
  const cut = s.length > max ? `${s.slice(0, max)}...` : s;
  return JSON.stringify(cut);
}

/** The Markdown table docs/errors.md carries between its codes markers (a test keeps them equal). */
export function renderCodeTable(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`);
  return ["| code | meaning |", "| --- | --- |", ...rows].join("\n");
}

/** A value, or the message saying why the text was not one: validators collect these and report all. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };
