// The Prometheus endpoint as a service, when [global] metrics asks for one; it applies at restart.

import type { Endpoint } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsRegistry } from "../metrics/metrics-registry.ts";
import { MetricsServer } from "../metrics/metrics-server.ts";
import type { StatusPageSource } from "../metrics/status-page.ts";
import type { Service } from "./service.ts";

export class MetricsService implements Service {
  readonly name = "metrics";
  readonly stopsLast = true;
  private server: MetricsServer | undefined;
  private stopping: Promise<void> | undefined;
  private readonly endpoint: Endpoint | undefined;
  private readonly registry: MetricsRegistry;
  private readonly log: Logger;

  private readonly page: StatusPageSource | undefined;

  constructor(
    endpoint: Endpoint | undefined,
    registry: MetricsRegistry,
    log: Logger,
    page?: StatusPageSource,
  ) {
    this.endpoint = endpoint;
    this.registry = registry;
    this.log = log;
    this.page = page;
  }

  async start(): Promise<void> {
    if (!this.endpoint) return;
    try {
      this.server = MetricsServer.start(this.endpoint, this.registry, this.log, this.page);
    } catch (e) {
      throw new Error(`Cannot serve metrics on "${this.endpoint.text}": ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  async reload(): Promise<void> {}

  stop(): Promise<void> {
    this.stopping ??= this.server?.stop() ?? Promise.resolve();
    return this.stopping;
  }

  dump(): void {}
}
