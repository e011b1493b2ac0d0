// Runs `tcpvs init` as its own process so the tests can give it a real terminal (tmux) or none.
import { runInit } from "../../cmd/init.ts";

process.exitCode = await runInit(process.argv.slice(2));
