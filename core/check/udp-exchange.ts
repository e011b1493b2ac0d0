// One request/reply over a connected UDP socket. Connected, so an ICMP port unreachable from the
// server comes back as ECONNREFUSED on the socket ("refused") instead of being silently dropped.

import { CheckFailure, type CheckTarget, reasonOf } from "./types.ts";

/** Send `payload`, resolve with the first reply `accept` takes; others (stray, wrong id) are ignored. */
export async function udpExchange<T>(
  target: CheckTarget,
  payload: Uint8Array,
  timeoutMs: number,
  accept: (reply: Uint8Array) => T | undefined,
): Promise<T> {
  if (target.kind !== "inet") throw new CheckFailure(`Use an IP address: UDP cannot reach "${target.text}"`);
  let settle: { ok: (v: T) => void; fail: (e: unknown) => void } | undefined;
  const done = new Promise<T>((ok, fail) => {
    settle = { ok, fail };
  });
  // Bun passes the error as the only argument today while its types say (socket, error): take
  // whichever argument is an Error.
  const onError = (...args: unknown[]) => settle?.fail(args.find((a) => a instanceof Error) ?? args[0]);
  const sock = await Bun.udpSocket({
    hostname: target.bind?.address ?? (target.family === 6 ? "::" : "0.0.0.0"),
    ...(target.bind?.port !== undefined ? { port: target.bind.port } : {}),
    connect: { hostname: target.host, port: target.port },
    socket: {
      data: (_s, data) => {
        try {
          const v = accept(new Uint8Array(data));
          if (v !== undefined) settle?.ok(v);
        } catch (e) {
          settle?.fail(e);
        }
      },
      error: onError as never,
    },
  });
  const timer = setTimeout(
    () => settle?.fail(new CheckFailure(`no reply within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    if (!sock.send(payload)) throw new CheckFailure("send failed");
    return await done;
  } catch (e) {
    throw e instanceof CheckFailure ? e : new CheckFailure(reasonOf(e));
  } finally {
    clearTimeout(timer);
    sock.close();
  }
}
