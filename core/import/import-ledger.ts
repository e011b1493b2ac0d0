// What became of every keepalived statement: carried over into tcpvs.toml, or reported as not
// carried over with a reason. Nothing is dropped silently: `finish` reports whatever the converter
// neither used nor dropped, so a keyword the importer does not know still gets its line on stderr.

import { type KNode, walk } from "./keepalived-parser.ts";

export interface Dropped {
  file: string;
  line: number;
  /** The keyword as the operator wrote it, with a qualifier when useful ("lb_kind DR"). */
  keyword: string;
  reason: string;
  /** False when the importer did not know the keyword at all. */
  known: boolean;
}

export const UNKNOWN_REASON = "not known to the importer; tcpvs has no equivalent";

export class ImportLedger {
  private readonly used = new Set<KNode>();
  private readonly covered = new Set<KNode>();
  readonly dropped: Dropped[] = [];

  /** The statement is carried over. */
  use(...nodes: Array<KNode | undefined>): void {
    for (const n of nodes) if (n) this.used.add(n);
  }

  /** The statement, and its block, are not carried over. */
  drop(n: KNode, reason: string, keyword = n.keyword, known = true): void {
    this.dropped.push({ file: n.file, line: n.line, keyword, reason, known });
    this.cover(n);
  }

  /** Part of a carried-over statement is not (a word, an option): report it, keep the statement. */
  note(n: KNode, keyword: string, reason: string): void {
    this.dropped.push({ file: n.file, line: n.line, keyword, reason, known: true });
  }

  private cover(n: KNode): void {
    this.covered.add(n);
    if (n.children) walk(n.children, (c) => this.covered.add(c));
  }

  /** Carried over, or reported with itself or an enclosing block. */
  accounted(n: KNode): boolean {
    return this.used.has(n) || this.covered.has(n);
  }

  wasUsed(n: KNode): boolean {
    return this.used.has(n);
  }

  /** Report every statement nobody accounted for; returns the drops in file order. */
  finish(roots: KNode[]): Dropped[] {
    const visit = (nodes: KNode[]) => {
      for (const n of nodes) {
        if (this.covered.has(n)) continue;
        if (!this.used.has(n)) {
          this.drop(n, UNKNOWN_REASON, n.keyword, false);
          continue;
        }
        if (n.children) visit(n.children);
      }
    };
    visit(roots);
    const order = new Map<string, number>();
    for (const d of this.dropped) if (!order.has(d.file)) order.set(d.file, order.size);
    return [...this.dropped].sort((a, b) => order.get(a.file)! - order.get(b.file)! || a.line - b.line);
  }
}

/** One stderr line: "keepalived.conf:12: lb_kind DR: not carried over: REASON". */
export function formatDropped(d: Dropped): string {
  return `${d.file}:${d.line}: ${d.keyword}: not carried over: ${d.reason}`;
}
