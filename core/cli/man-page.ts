// tcpvs(1) in roff, made from the commands' specs (the same ones --help prints), so the manual cannot
// drift from the help: `tcpvs man` prints it, docs/tcpvs.1 is a copy, and a test compares the two.

import { type CommandSpec, GLOBAL_OPTIONS, optionHead } from "./help-text.ts";
import type { OptionSpec } from "./parse-argv.ts";

/** Text safe in roff: backslashes escaped, hyphens as minus signs, no line starting a request. */
export function roff(text: string): string {
  return (
    text
      .replace(/\\/g, "\\e")
      .replace(/-/g, "\\-")
      // groff reads ASCII: anything else as its Unicode escape ("−" is \[u2212]).
      .replace(
        /[^\x00-\x7f]/gu,
        (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}]`,
      )
      .split("\n")
      .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
      .join("\n")
  );
}

/** Preformatted lines (usage, examples, tables in `more`). */
function block(text: string): string[] {
  return [".nf", roff(text.trimEnd()), ".fi"];
}

function option(o: OptionSpec): string[] {
  const out = [".TP", `.B ${roff(optionHead(o).trim())}`, roff(o.description)];
  if (o.example !== undefined) out.push(".br", `e.g. ${roff(`--${o.name} ${o.example}`)}`);
  return out;
}

function command(s: CommandSpec): string[] {
  const out = [
    `.SS "${roff(`tcpvs ${s.name}`)}"`,
    roff(`${s.summary}.`),
    ".PP",
    ...block(`Usage: ${s.usage}`),
  ];
  const shown = s.options.filter((o) => !o.hidden);
  if (shown.length) out.push(".PP", "Flags:", ".RS", ...shown.flatMap(option), ".RE");
  if (s.more) out.push(".PP", ...block(s.more));
  out.push(".PP", "Example:", ".RS", ...block(s.example), ".RE");
  return out;
}

export function manPage(specs: readonly CommandSpec[], version: string): string {
  const lines = [
    `.TH TCPVS 1 "" "tcpvs ${roff(version)}" "User Commands"`,
    ".SH NAME",
    "tcpvs \\- a layer\\-7 virtual server with health checking and VRRP failover",
    ".SH SYNOPSIS",
    ".B tcpvs",
    ".I COMMAND",
    "[\\fIFLAGS\\fR]",
    ".SH DESCRIPTION",
    roff(
      "tcpvs is a user-space layer-7 virtual server: listeners and an HTTP/1.1 or TCP switch, schedulers, " +
        "health checks, VRRP failover (keepalived-interoperable) and a control channel, in one executable " +
        "configured by one TOML file.",
    ),
    ".SH COMMANDS",
    ...specs.flatMap(command),
    ".SH GLOBAL FLAGS",
    roff("Every command takes these:"),
    ...GLOBAL_OPTIONS.flatMap(option),
    ".SH EXIT STATUS",
    roff(
      "0 ok, 1 failure, 2 usage or config error. tcpvs check follows the Nagios plugin convention: " +
        "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. tcpvs status: 0 ok or the --is condition holds, 1 the " +
        "condition does not hold or the daemon refused the action, 2 usage, 3 the daemon cannot be reached.",
    ),
    ".SH FILES",
    ".TP",
    ".I /etc/tcpvs/tcpvs.toml",
    roff("the config file (./tcpvs.toml is tried first)"),
    ".TP",
    ".I /run/tcpvs/control.sock",
    roff("the control channel's default socket"),
    ".SH ENVIRONMENT",
    ".TP",
    ".B NO_COLOR",
    roff("tcpvs status prints no colours"),
    ".TP",
    ".B TCPVS_DEBUG",
    roff("an unexpected error prints its stack"),
    ".SH SEE ALSO",
    roff(
      "keepalived(8), haproxy(1), systemd.exec(5); docs/ in the source: config.md, control.md, json.md, operations.md",
    ),
  ];
  return `${lines.join("\n")}\n`;
}
