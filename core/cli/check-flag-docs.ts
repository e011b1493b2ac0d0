// A value that works for each `tcpvs check` flag, for --help, the man page and a missing-value hint.
// What each flag means comes from the check schema (core/config/check-schema.ts) with the flag itself.

/** Keyed by the check key (record_type), as the flags are. */
const EXAMPLES: Record<string, string> = {
  interval: "2s",
  timeout: "2s",
  rise: "2",
  fall: "3",
  retry: "1",
  delay_before_retry: "1s",
  port: "8081",
  connect_ip: "10.0.0.21",
  bindto: "10.0.0.2",
  bind_port: "40000",
  method: "HEAD",
  path: "/health",
  host: "app.example.org",
  status: "200,301-302",
  body_regex: "^ok",
  digest: "9a0364b9e99bb480dd25e1f0284c8555",
  sni: "app.example.org",
  http_version: "1.0",
  helo_name: "lb1.example.org",
  name: "example.org",
  record_type: "A",
  expect_answer: "192.0.2.7",
  send: "'PING\\r\\n'",
  expect: "'^\\+PONG'",
  script: "/usr/local/bin/check-app",
  pool: "web",
};

export function checkFlagExample(key: string): string | undefined {
  return EXAMPLES[key.replace(/-/g, "_")];
}
