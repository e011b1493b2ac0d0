// tcpvs import keepalived FILE: write a tcpvs.toml from a keepalived.conf and list, one line each on
// stderr, what could not be carried over.

import { existsSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { list, str } from "../core/cli/parse-argv.ts";
import { UsageError } from "../core/cli/usage-error.ts";
import { TcpvsError } from "../core/errors/tcpvs-error.ts";
import { ConfigError, parseConfig } from "../core/config/load.ts";
import { fileIo } from "../core/import/file-io.ts";
import { formatDropped } from "../core/import/import-ledger.ts";
import { parseKeepalived } from "../core/import/keepalived-parser.ts";
import { importKeepalived } from "../core/import/to-tcpvs.ts";
import type { Command } from "./command.ts";

function httpPorts(values: string[]): number[] {
  return values.flatMap((v) =>
    v.split(",").map((p) => {
      const n = Number(p.trim());
      if (!Number.isInteger(n) || n < 1 || n > 65535)
        throw new UsageError(
          "invalid_value",
          `invalid --http port "${p}": use port numbers, e.g. --http 80,8080`,
        );
      return n;
    }),
  );
}

export const command: Command = {
  spec: {
    name: "import",
    summary: "write a tcpvs.toml from another load balancer's config (keepalived)",
    usage: "tcpvs import keepalived FILE [--out tcpvs.toml] [--http PORT,...] [--config-id ID]",
    options: [
      {
        name: "out",
        short: "o",
        type: "string",
        arg: "FILE",
        description: "write the tcpvs.toml here (default: stdout)",
      },
      {
        name: "http",
        type: "string",
        multiple: true,
        arg: "PORTS",
        description: "virtual servers on these ports (80,8080) become HTTP mode, the others TCP mode",
      },
      { name: "force", type: "boolean", description: "overwrite the --out file if it exists" },
      {
        name: "config-id",
        type: "string",
        arg: "ID",
        description: 'which "@ID" lines apply, as keepalived -i (default: the host name)',
      },
    ],
    more:
      "Every keyword that cannot be carried over is listed on stderr as FILE:LINE: KEYWORD: not carried over: REASON.\n" +
      "Exit codes: 0 written (with a count of what was not carried over), 1 the --out file exists (without --force),\n" +
      "2 the file cannot be read or parsed (FILE:LINE:COLUMN).",
    example: "tcpvs import keepalived /etc/keepalived/keepalived.conf --http 80 --out /etc/tcpvs/tcpvs.toml",
  },
  async run({ values, positionals }) {
    const [kind, file, ...extra] = positionals;
    if (kind !== "keepalived")
      throw new UsageError(
        "bad_arguments",
        `unknown import source "${kind ?? ""}"; use "tcpvs import keepalived FILE"`,
      );
    if (!file || extra.length > 0)
      throw new UsageError("bad_arguments", 'expected one file: "tcpvs import keepalived FILE"');
    const configId = str(values, "config-id") ?? hostname().split(".")[0]!;
    const out = str(values, "out");
    if (out && !values.force && existsSync(out))
      throw new TcpvsError("file_exists", `Remove "${out}" or pass --force: it exists`);
    // A file it cannot read or parse throws KeepalivedSyntaxError: exit 2 with FILE:LINE:COLUMN.
    const parsed = parseKeepalived(file, fileIo, configId);
    const result = importKeepalived(parsed, { httpPorts: httpPorts(list(values, "http")) });
    for (const d of result.dropped) process.stderr.write(`${formatDropped(d)}\n`);
    // What we write must pass `tcpvs config check`; a failure here is an importer bug, said as such.
    try {
      parseConfig(result.toml, out ?? "imported.toml");
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      process.stderr.write(
        `tcpvs: the import of ${file} is not a valid tcpvs.toml (an importer bug; nothing written):\n${e.message}\n`,
      );
      return 1;
    }
    if (out) writeFileSync(out, result.toml);
    else process.stdout.write(result.toml);
    const c = result.counts;
    const skipped =
      parsed.skipped > 0
        ? `; ${parsed.skipped} lines for other config ids skipped (config id "${configId}")`
        : "";
    const n = (k: number, noun: string) => `${k} ${noun}${k === 1 ? "" : "s"}`;
    process.stderr.write(
      `tcpvs: imported ${parsed.files.join(", ")}${out ? ` into ${out}` : ""}: ${n(c.virtualServers, "virtual server")}, ` +
        `${n(c.vrrp, "VRRP instance")}; ${result.dropped.length} not carried over${skipped}\n`,
    );
    return 0;
  },
};
