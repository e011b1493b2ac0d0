// The optional HTTP listener for Prometheus (global.metrics): GET /metrics, and the read-only status
// page (GET /, /status.json, /events: status-page.ts) when the daemon gives it a source.

import type { Server } from "bun";
import type { Endpoint } from "../config/types.ts";
import { log as defaultLog, type Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "./metrics-registry.ts";
import { hostPort } from "../net/endpoint.ts";
import { type StatusPageSource, statusPageRoute } from "./status-page.ts";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export class MetricsServer {
  private server: Server<undefined> | undefined;
  readonly endpoint: Endpoint;

  private constructor(endpoint: Endpoint) {
    this.endpoint = endpoint;
  }

  static start(
    endpoint: Endpoint,
    registry: MetricsRegistry,
    logger: Logger = defaultLog,
    page?: StatusPageSource,
  ): MetricsServer {
    const ms = new MetricsServer(endpoint);
    const open = { streams: 0 };
    const fetch = async (req: Request): Promise<Response> => {
      const pageAnswer = page ? statusPageRoute(req, page, open) : undefined;
      if (pageAnswer) return pageAnswer;
      const url = new URL(req.url);
      if (url.pathname !== "/metrics") return new Response("see /metrics\n", { status: 404 });
      if (req.method !== "GET" && req.method !== "HEAD") return new Response("use GET\n", { status: 405 });
      await registry.sync();
      return new Response(registry.render(), { headers: { "content-type": METRICS_CONTENT_TYPE } });
    };
    ms.server =
      endpoint.kind === "unix"
        ? Bun.serve({ unix: endpoint.path, fetch })
        : Bun.serve({ hostname: endpoint.host, port: endpoint.port, fetch });
    logger.child({ subsystem: "metrics" }).info("metrics listening", { address: ms.address });
    return ms;
  }

  /** Where it listens, with the real port when 0 was asked. */
  get address(): string {
    const ep = this.endpoint;
    if (ep.kind === "unix") return `unix:${ep.path}`;
    return hostPort(ep.host, this.server?.port ?? ep.port);
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
    this.server = undefined;
  }
}
