// Built-in backends for `tcpvs serve --demo`: small HTTP servers on loopback answering
// "hello from backend N", keep-alive and pipelining included, so a first run needs nothing else.

import type { Socket } from "bun";
import { errorResponse } from "./rewrite.ts";
import { HttpParser } from "../http/parser.ts";
import type { RequestHead } from "../http/head.ts";

export interface DemoBackends {
  /** host:port of each backend, in order. */
  addresses: string[];
  ports: number[];
  stop(): void;
}

interface DemoConn {
  parser: HttpParser<RequestHead>;
  head: RequestHead | undefined;
}

/** Start `count` demo backends on 127.0.0.1 (port 0 = any free port, else basePort, basePort+1 ...). */
export function startDemoBackends(count = 2, basePort = 0, hostname = "127.0.0.1"): DemoBackends {
  const listeners: Array<import("bun").TCPSocketListener<DemoConn>> = [];
  for (let i = 0; i < count; i++) {
    const body = `hello from backend ${i + 1}\n`;
    const answer = (s: Socket<DemoConn>, h: RequestHead) => {
      const close = !h.keepAlive;
      s.write(
        `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n` +
          `x-backend: ${i + 1}\r\n${close ? "connection: close\r\n" : ""}\r\n${h.method === "HEAD" ? "" : body}`,
      );
      if (close) s.end();
    };
    listeners.push(
      Bun.listen<DemoConn>({
        hostname,
        port: basePort === 0 ? 0 : basePort + i,
        socket: {
          open: (s) => {
            const c: DemoConn = { head: undefined, parser: undefined as unknown as HttpParser<RequestHead> };
            c.parser = new HttpParser<RequestHead>("request", {
              onHead: (h) => {
                c.head = h;
              },
              onEnd: () => answer(s, c.head!),
            });
            s.data = c;
          },
          data: (s, d) => {
            const err = s.data.parser.execute(d);
            if (err) s.end(errorResponse(err.status, err.code));
          },
          error: () => {},
        },
      }),
    );
  }
  const ports = listeners.map((l) => (l as unknown as { port: number }).port);
  return {
    ports,
    addresses: ports.map((p) => `${hostname}:${p}`),
    stop: () => {
      for (const l of listeners) l.stop(true);
    },
  };
}
