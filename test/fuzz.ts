// What the fuzz tests share: a seeded generator, so a failing case comes back on every run, and the
// text mutations that matter to HTTP framing (a byte replaced, inserted, dropped, a run repeated, the
// rest cut off).

/** A deterministic source of integers in [0, n). */
export function seeded(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

export interface TextMutation {
  /** Characters an edit writes. */
  alphabet: string;
  /** 1 to this many edits per message. */
  maxEdits: number;
  /** A repeated run is 1 to this many characters long. */
  maxRepeat: number;
  /** Also cut the message short at a random point. */
  cut: boolean;
}

export function mutateText(s: string, rnd: (n: number) => number, m: TextMutation): string {
  let out = s;
  for (let k = 1 + rnd(m.maxEdits); k > 0 && out.length > 0; k--) {
    const at = rnd(out.length);
    const c = m.alphabet[rnd(m.alphabet.length)]!;
    switch (rnd(m.cut ? 5 : 4)) {
      case 0:
        out = out.slice(0, at) + c + out.slice(at + 1);
        break;
      case 1:
        out = out.slice(0, at) + c + out.slice(at);
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at + 1);
        break;
      case 3:
        out = out.slice(0, at) + out.slice(at, at + 1 + rnd(m.maxRepeat)) + out.slice(at);
        break;
      default:
        out = out.slice(0, at);
    }
  }
  return out;
}
