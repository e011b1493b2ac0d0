// `tcpvs init`: its flags; the prompts, the checks and the writing are core/init's.

import { initFlagsFrom } from "../core/init/init-answers.ts";
import { INIT_OPTIONS } from "../core/init/init-options.ts";
import { runInit } from "../core/init/run-init.ts";
import type { Command } from "./command.ts";

export const command: Command = {
  spec: {
    name: "init",
    summary: "write a config for this node and its peer (asks on a terminal, else takes flags)",
    usage:
      "tcpvs init [--role master|backup --vip CIDR --interface IFACE --vrid N --backend ADDR[=NAME] ... --check CHECK --out PATH --peer-out PATH] [--listen ADDR] [--unicast-src-ip ADDR --unicast-peer ADDR]",
    options: INIT_OPTIONS,
    example:
      "tcpvs init --role master --vip 10.0.0.100/24 --interface eth0 --vrid 51 --backend 10.0.0.11:8080=node-a --backend 10.0.0.12:8080=node-b --check http:/health --listen 0.0.0.0:80 --unicast-src-ip 10.0.0.11 --unicast-peer 10.0.0.12 --out node-a.toml --peer-out node-b.toml",
  },
  run: ({ values }) => runInit(initFlagsFrom(values)),
};
