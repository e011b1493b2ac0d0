// What a TLS listener adds to Bun.listen: its options, the certificate chosen per handshake, and each
// handshake counted by result (tls.handshake.ok, tls.handshake.failed.REASON). The runtime is read at
// each handshake, so a reload's certificates serve the next handshake.

import type { Socket, TLSOptions } from "bun";
import type { Cluster } from "../state/cluster.ts";
import type { VsRuntime } from "./runtime.ts";
import { handshakeFailure } from "../tls/listener-tls.ts";
import { answerUnderTls } from "../tls/plain-http-answer.ts";
import { errorResponse } from "./rewrite.ts";

const PLAIN_HTTP_ANSWER = errorResponse(400, "plain HTTP request sent to a TLS port: use https://");

export interface TlsListen {
  options: TLSOptions;
  handlers: {
    serverName(listenerData: unknown, serverName: string): object;
    handshake(s: Socket<unknown>, success: boolean, err: Error | null): void;
  };
}

export function tlsListen(rt: VsRuntime, cluster: Cluster): TlsListen {
  return {
    options: rt.tls!.options(),
    handlers: {
      serverName: (_data, serverName) => rt.tls!.contextFor(serverName),
      handshake: (s, success, err) => {
        // A server that does not ask for client certificates still hears "unable to get issuer
        // certificate" with success: only `success` tells.
        if (success) {
          cluster.count("tls.handshake.ok");
          return;
        }
        const reason = handshakeFailure(err);
        cluster.count(`tls.handshake.failed.${reason}`);
        if (reason === "plain_http") answerUnderTls(s, PLAIN_HTTP_ANSWER);
      },
    },
  };
}
