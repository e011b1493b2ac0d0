// The control channel as a service: its endpoint and token apply at restart, so reload leaves it be.

import type { GlobalConfig } from "../config/types.ts";
import type { ControlProvider } from "../control/control-handler.ts";
import type { ControlServer } from "../control/control-server.ts";
import { startControl } from "../control/start-control.ts";
import type { Service } from "./service.ts";

export class ControlService implements Service {
  readonly name = "control";
  readonly stopsLast = true;
  private server: ControlServer | undefined;
  private stopping: Promise<void> | undefined;
  private readonly global: GlobalConfig;
  private readonly provider: ControlProvider;

  constructor(global: GlobalConfig, provider: ControlProvider) {
    this.global = global;
    this.provider = provider;
  }

  get address(): string | undefined {
    return this.server?.address;
  }

  async start(): Promise<void> {
    this.server = await startControl(this.global, this.provider);
  }

  async reload(): Promise<void> {}

  stop(): Promise<void> {
    // Awaited so the unix socket is gone before the process exits.
    this.stopping ??= this.server?.stop() ?? Promise.resolve();
    return this.stopping;
  }

  dump(): void {}
}
