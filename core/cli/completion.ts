// Shell completion scripts made from the commands' specs (the same ones --help prints): commands,
// their first words (actions, check types), their flags and the few values a flag allows.

import { type CommandSpec, GLOBAL_OPTIONS } from "./help-text.ts";
import type { OptionSpec } from "./parse-argv.ts";

function flagsOf(s: CommandSpec): OptionSpec[] {
  const all: OptionSpec[] = [...s.options, ...GLOBAL_OPTIONS];
  return all.filter((o) => !o.hidden);
}

/** Words for a shell single-quoted string: no quote may appear in them. */
function words(list: readonly string[]): string {
  for (const w of list)
    if (/['\s]/.test(w)) throw new Error(`completion word ${JSON.stringify(w)} needs quoting`);
  return list.join(" ");
}

export function bashCompletion(specs: readonly CommandSpec[]): string {
  const cases = specs.map((s) => {
    const flags = flagsOf(s).flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]);
    return `    ${s.name}) first='${words(s.words ?? [])}'; flags='${words(flags)}' ;;`;
  });
  const valued = specs.flatMap(flagsOf).filter((o) => o.type === "string");
  const choices = [...new Map(valued.filter((o) => o.choices).map((o) => [o.name, o])).values()];
  const files = [...new Set(valued.filter((o) => /PATH|FILE/.test(o.arg ?? "")).map((o) => `--${o.name}`))];
  const takesValue = [
    ...new Set(valued.flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])])),
  ];
  return `# bash completion for tcpvs, made by \`tcpvs completion bash\` from the help texts.
_tcpvs() {
  local cur prev cmd first flags i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W '${words(specs.map((s) => s.name))}' -- "$cur"))
    return
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$prev" in
${choices.map((o) => `    --${o.name}) COMPREPLY=($(compgen -W '${words(o.choices ?? [])}' -- "$cur")); return ;;`).join("\n")}
    ${files.length ? `${files.join("|")}|-c) COMPREPLY=($(compgen -f -- "$cur")); return ;;` : ""}
    ${takesValue.join("|")}) return ;;
  esac
  case "$cmd" in
${cases.join("\n")}
    *) return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  # The first word after the command (an action, a check type), unless one is there already.
  for ((i = 2; i < COMP_CWORD; i++)); do
    [[ \${COMP_WORDS[i]} != -* ]] && return
  done
  COMPREPLY=($(compgen -W "$first" -- "$cur"))
}
complete -F _tcpvs tcpvs
`;
}

/** zsh's _arguments spec of one flag: '--name[description]:ARG:(choices)'. */
function zshFlag(o: OptionSpec): string {
  const desc = o.description.replace(/[[\]':\\]/g, " ");
  const value =
    o.type === "string"
      ? `:${(o.arg ?? "value").toLowerCase()}:${o.choices ? `(${o.choices.join(" ")})` : /PATH|FILE/.test(o.arg ?? "") ? "_files" : " "}`
      : "";
  const names = o.short ? `{-${o.short},--${o.name}}` : `--${o.name}`;
  const rep = o.multiple ? "*" : "";
  return o.short
    ? `'(-${o.short} --${o.name})'${rep}${names}'[${desc}]${value}'`
    : `'${rep}${names}[${desc}]${value}'`;
}

export function zshCompletion(specs: readonly CommandSpec[]): string {
  const cmds = specs.map((s) => `    '${s.name}:${s.summary.replace(/[':\\]/g, " ")}'`);
  const cases = specs.map((s) => {
    const first = s.words?.length ? ` '1:word:(${words(s.words)})'` : "";
    return `    ${s.name}) _arguments -s ${flagsOf(s).map(zshFlag).join(" ")}${first} '*::arg: ' ;;`;
  });
  return `#compdef tcpvs
# zsh completion for tcpvs, made by \`tcpvs completion zsh\` from the help texts.
_tcpvs() {
  local -a commands
  commands=(
${cmds.join("\n")}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'tcpvs command' commands
    return
  fi
  local cmd=\${words[2]}
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases.join("\n")}
  esac
}
_tcpvs "$@"
`;
}
