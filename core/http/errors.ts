import { quote, TcpvsError } from "../errors/tcpvs-error.ts";

// Every way a message can be refused, as one error class with a stable code. `status` is what a server
// answers when a *request* breaks the rule; a broken *response* always becomes 502 at the switch.

export type HttpErrorCode =
  | "bad_request_line"
  | "bad_method"
  | "bad_target"
  | "bad_version"
  | "version_not_supported"
  | "uri_too_long"
  | "headers_too_large"
  | "too_many_headers"
  | "bare_lf"
  | "bare_cr"
  | "obs_fold"
  | "space_before_colon"
  | "bad_header_name"
  | "bad_header_value"
  | "missing_host"
  | "duplicate_host"
  | "bad_host"
  | "cl_and_te"
  | "bad_content_length"
  | "conflicting_content_length"
  | "bad_transfer_encoding"
  | "te_on_http10"
  | "bad_chunk_size"
  | "chunk_size_overflow"
  | "bad_chunk"
  | "bad_expect"
  | "body_too_large"
  | "bad_status_line"
  | "unsupported_method"
  | "incomplete_message";

const STATUS: Record<HttpErrorCode, number> = {
  bad_request_line: 400,
  bad_method: 400,
  bad_target: 400,
  bad_version: 400,
  version_not_supported: 505,
  uri_too_long: 414,
  headers_too_large: 431,
  too_many_headers: 431,
  bare_lf: 400,
  bare_cr: 400,
  obs_fold: 400,
  space_before_colon: 400,
  bad_header_name: 400,
  bad_header_value: 400,
  missing_host: 400,
  duplicate_host: 400,
  bad_host: 400,
  cl_and_te: 400,
  bad_content_length: 400,
  conflicting_content_length: 400,
  bad_transfer_encoding: 400,
  te_on_http10: 400,
  bad_chunk_size: 400,
  chunk_size_overflow: 400,
  bad_chunk: 400,
  bad_expect: 417,
  body_too_large: 413,
  bad_status_line: 502,
  unsupported_method: 405,
  incomplete_message: 400,
};

export class HttpError extends TcpvsError {
  declare readonly code: HttpErrorCode;
  readonly status: number;

  constructor(code: HttpErrorCode, message: string) {
    super(code, message);
    this.name = "HttpError";
    this.status = STATUS[code];
  }
}

export { quote };
