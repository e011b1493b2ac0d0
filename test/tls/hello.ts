// ClientHello bytes for the parser's tests and fuzzing: a minimal but well-formed TLS 1.2/1.3 hello
// with optional server_name and ALPN, in one record or split over several.

function u16(n: number): number[] {
  return [(n >> 8) & 255, n & 255];
}

export function clientHello(
  opts: { sni?: string; alpn?: string[]; recordSize?: number; padding?: number } = {},
): Buffer {
  const exts: number[] = [];
  if (opts.sni !== undefined) {
    const name = [...Buffer.from(opts.sni, "latin1")];
    const entry = [0, ...u16(name.length), ...name];
    const body = [...u16(entry.length), ...entry];
    exts.push(...u16(0), ...u16(body.length), ...body);
  }
  if (opts.alpn) {
    const list = opts.alpn.flatMap((p) => [p.length, ...Buffer.from(p, "latin1")]);
    const body = [...u16(list.length), ...list];
    exts.push(...u16(16), ...u16(body.length), ...body);
  }
  if (opts.padding) exts.push(...u16(21), ...u16(opts.padding), ...new Array(opts.padding).fill(0));
  const body = [3, 3, ...new Array(32).fill(7), 0, ...u16(2), 0x13, 0x01, 1, 0, ...u16(exts.length), ...exts];
  const hs = Buffer.from([
    1,
    (body.length >> 16) & 255,
    (body.length >> 8) & 255,
    body.length & 255,
    ...body,
  ]);
  const size = opts.recordSize ?? 16_384;
  const records: Buffer[] = [];
  for (let i = 0; i < hs.length; i += size) {
    const frag = hs.subarray(i, i + size);
    records.push(Buffer.from([22, 3, 1, ...u16(frag.length)]), frag);
  }
  return Buffer.concat(records);
}
