// `openssl s_client` against a local TLS listener, for what only a real client shows: session reuse
// ("New" or "Reused" with -sess_out / -sess_in), the version, renegotiation. `input` is written, the
// connection is left open `waitMs` for the answer (and a TLS 1.3 ticket), then stdout and stderr are
// returned together. Suites using it skip when openssl is missing (missingTools in the suite).

import { missingTools } from "../tools.ts";

export async function sClient(
  port: number,
  args: string[],
  input: string,
  o: { serverName?: string; waitMs?: number } = {},
): Promise<string> {
  // Suites skip before they get here; this names the missing command should one forget.
  const missing = missingTools("test/tls/s-client.ts", "openssl");
  if (missing !== undefined) throw new Error(missing);
  const p = Bun.spawn(
    [
      "openssl",
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      o.serverName ?? "a.test",
      ...args,
    ],
    { stdin: "pipe", stdout: "pipe", stderr: "pipe" },
  );
  p.stdin.write(input);
  await Bun.sleep(o.waitMs ?? 400);
  p.stdin.end();
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  return out + err;
}
