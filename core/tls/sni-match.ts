// The `sni` rule matcher, shared by HTTP mode (the name of the terminated handshake) and SNI
// passthrough (the name read from the ClientHello): exact names, or "*.example.com" for any name under
// example.com, as the host matcher reads its wildcard. No SNI matches nothing.

export type ServerNameMatcher = (serverName: string | undefined) => boolean;

export function serverNameMatcher(names: readonly string[]): ServerNameMatcher {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of names) {
    const n = raw.toLowerCase();
    if (n.startsWith("*.")) suffixes.push(n.slice(1));
    else exact.add(n);
  }
  return (serverName) => {
    if (!serverName) return false;
    const s = serverName.toLowerCase();
    if (exact.has(s)) return true;
    for (const suf of suffixes) if (s.length > suf.length && s.endsWith(suf)) return true;
    return false;
  };
}

/** SNI passthrough: the pool of the first rule naming the server name, else the default pool. */
export class SniRouter {
  private readonly rules: Array<{ match: ServerNameMatcher; pool: string }>;
  readonly defaultPool: string;

  constructor(vs: { pool: string; rule: ReadonlyArray<{ sni?: string[]; pool?: string }> }) {
    this.defaultPool = vs.pool;
    // A TCP mode rule has no other action than `pool` (the config refuses the rest).
    this.rules = vs.rule
      .filter((r) => r.sni !== undefined && r.pool !== undefined)
      .map((r) => ({ match: serverNameMatcher(r.sni!), pool: r.pool! }));
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  route(serverName: string | undefined): string {
    for (const r of this.rules) if (r.match(serverName)) return r.pool;
    return this.defaultPool;
  }
}
