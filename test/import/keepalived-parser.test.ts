// biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived writes parameters as ${NAME}
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileIo } from "../../core/import/file-io.ts";
import { KeepalivedSyntaxError, lexKeepalived } from "../../core/import/keepalived-lexer.ts";
import { type KNode, parseKeepalived, type ParserIo } from "../../core/import/keepalived-parser.ts";

/** An in-memory file system for the parser. */
function memIo(files: Record<string, string>): ParserIo {
  return {
    read(path) {
      const t = files[path];
      if (t === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      return t;
    },
    glob(pattern) {
      // One "*" within a path segment is all these tests use.
      const [pre = "", post = ""] = pattern.split("*");
      const hit = (f: string) =>
        f.startsWith(pre) && f.endsWith(post) && !f.slice(pre.length, f.length - post.length).includes("/");
      return Object.keys(files).filter(hit).sort();
    },
  };
}

function parse(text: string, configId = "node1"): KNode[] {
  return parseKeepalived("/k/keepalived.conf", memIo({ "/k/keepalived.conf": text }), configId).nodes;
}

function syntaxError(text: string, files: Record<string, string> = {}): KeepalivedSyntaxError {
  try {
    parseKeepalived("/k/keepalived.conf", memIo({ "/k/keepalived.conf": text, ...files }), "x");
  } catch (e) {
    if (e instanceof KeepalivedSyntaxError) return e;
    throw e;
  }
  throw new Error("expected a syntax error");
}

describe("keepalived lexer", () => {
  test("comments with ! and #, quoted words keep blanks and comment characters", () => {
    const { lines } = lexKeepalived(
      'a b ! c\n# whole line\n  script "killall -0 sshd # x" # tail\n',
      "f",
      "id",
    );
    expect(lines.map((l) => l.tokens.map((t) => t.text))).toEqual([
      ["a", "b"],
      ["script", "killall -0 sshd # x"],
    ]);
    expect(lines[1]!.tokens[1]).toMatchObject({ quoted: true, line: 3, column: 10 });
  });
  test('braces are words of their own; "@ID" lines apply to that config id only, "@^ID" to the others', () => {
    const text = "x{y}\n@high priority 170\n@low priority 85\n@^high weight 1\n";
    const high = lexKeepalived(text, "f", "high");
    expect(high.lines.map((l) => l.tokens.map((t) => t.text).join(" "))).toEqual(["x { y }", "priority 170"]);
    expect(high.skipped).toBe(2);
    const low = lexKeepalived(text, "f", "low");
    expect(low.lines.map((l) => l.tokens.map((t) => t.text).join(" "))).toEqual([
      "x { y }",
      "priority 85",
      "weight 1",
    ]);
    expect(low.lines[1]!.tokens[0]!.column).toBe(6);
  });
});

describe("parameter substitution", () => {
  test('"$NAME=VALUE" then "$NAME " or "${NAME}", recursive at the point of use; undefined ones stay', () => {
    const text = [
      "$BASE=10.2.${SUB}",
      "$SUB=0",
      "${BASE}.100/32",
      "$SUB=10",
      "${BASE}.100/32 $SUB",
      "@high $PRIO=240",
      "@low $PRIO=200",
      "priority $PRIO",
      'script "kill -0 $PID ${PID}"',
      "$EMPTY=",
      "a${EMPTY}b",
    ].join("\n");
    const { lines } = lexKeepalived(text, "f", "low");
    expect(lines.map((l) => l.tokens.map((t) => t.text).join(" "))).toEqual([
      "10.2.0.100/32",
      "10.2.10.100/32 10",
      "priority 200",
      "script kill -0 $PID ${PID}",
      "ab",
    ]);
    expect(lines[2]!.line).toBe(8);
  });
  test("definitions carry into included files; a multi-line definition is refused at its line", () => {
    const io = memIo({ "/k/keepalived.conf": "$IF=eth1\ninclude x.conf\n", "/k/x.conf": "interface $IF\n" });
    expect(parseKeepalived("/k/keepalived.conf", io, "x").nodes[0]).toMatchObject({
      keyword: "interface",
      args: ["eth1"],
    });
    const e = syntaxError("vrrp_instance A {\n  $INSTANCE= \\\n  x \\\n}\n");
    expect(e.message).toBe(
      "Cannot parse /k/keepalived.conf:2:3: multi-line parameter $INSTANCE is not supported by the importer: write its lines out where it is used",
    );
  });
});

describe("keepalived parser", () => {
  test("blocks opened on the same line or the next, nested, one-line blocks", () => {
    const nodes = parse(
      [
        "vrrp_instance VI_1",
        "{",
        "  virtual_ipaddress {",
        "    10.0.0.1/24 dev eth0",
        "  }",
        "  nopreempt",
        "}",
        "url { path / } digest abc",
      ].join("\n"),
    );
    expect(nodes.map((n) => n.keyword)).toEqual(["vrrp_instance", "url", "digest"]);
    const vi = nodes[0]!;
    expect(vi).toMatchObject({ args: ["VI_1"], line: 1, column: 1 });
    expect(vi.children!.map((c) => c.keyword)).toEqual(["virtual_ipaddress", "nopreempt"]);
    expect(vi.children![0]!.children![0]).toMatchObject({
      keyword: "10.0.0.1/24",
      args: ["dev", "eth0"],
      line: 4,
      column: 5,
    });
    expect(vi.children![1]!.children).toBeUndefined();
    expect(nodes[1]!.children![0]).toMatchObject({ keyword: "path", args: ["/"] });
  });

  test("errors name FILE:LINE:COLUMN", () => {
    const open = syntaxError("global_defs {\n  router_id x\n");
    expect(open.message).toBe(
      'Cannot parse /k/keepalived.conf:1:13: this "{" is never closed: add the missing "}"',
    );
    const stray = syntaxError("a\n  }\n");
    expect([stray.line, stray.column]).toEqual([2, 3]);
    expect(stray.message).toContain('unexpected "}"');
    const quote = syntaxError('vrrp_script s {\n  script "x y\n}\n');
    expect(quote.message).toBe(
      'Cannot parse /k/keepalived.conf:2:10: unterminated quoted string: add the closing " on the same line',
    );
    const bare = syntaxError("{ a }\n");
    expect(bare.message).toContain(':1:1: unexpected "{"');
    const missing = syntaxError("include conf.d/site.conf\n");
    expect(missing.message).toBe(
      'Cannot parse /k/keepalived.conf:1:9: cannot read "/k/conf.d/site.conf": no such file',
    );
    const loop = syntaxError("include keepalived.conf\n");
    expect(loop.message).toContain("includes nest deeper than 16 files");
  });

  test("include: globs relative to the including file, sorted, spliced where written; an empty glob includes nothing", () => {
    const io = memIo({
      "/k/keepalived.conf":
        "global_defs {\n  include defs/*.inc\n}\ninclude sites/*.conf\ninclude none/*.conf\n",
      "/k/defs/a.inc": "router_id lb1\n",
      "/k/sites/b.conf": "vrrp_instance B {\n}\n",
      "/k/sites/a.conf": "vrrp_instance A {\n  include ../more/x.conf\n}\n",
      "/k/more/x.conf": "priority 150\n",
    });
    const r = parseKeepalived("/k/keepalived.conf", io, "x");
    expect(r.nodes.map((n) => `${n.keyword} ${n.args.join(" ")}`.trim())).toEqual([
      "global_defs",
      "vrrp_instance A",
      "vrrp_instance B",
    ]);
    expect(r.nodes[0]!.children![0]).toMatchObject({ keyword: "router_id", file: "/k/defs/a.inc", line: 1 });
    expect(r.nodes[1]!.children![0]).toMatchObject({ keyword: "priority", file: "/k/more/x.conf" });
    expect(r.files).toEqual([
      "/k/keepalived.conf",
      "/k/defs/a.inc",
      "/k/sites/a.conf",
      "/k/more/x.conf",
      "/k/sites/b.conf",
    ]);
  });

  describe("on the real file system", () => {
    const dir = mkdtempSync(join(tmpdir(), "tcpvs-kaparse-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    test("fileIo expands a glob in a sub-directory", () => {
      mkdirSync(join(dir, "conf.d"));
      writeFileSync(join(dir, "keepalived.conf"), "include conf.d/*.conf\n");
      writeFileSync(join(dir, "conf.d", "2.conf"), "b\n");
      writeFileSync(join(dir, "conf.d", "1.conf"), "a\n");
      writeFileSync(join(dir, "conf.d", "skip.txt"), "c\n");
      const r = parseKeepalived(join(dir, "keepalived.conf"), fileIo, "x");
      expect(r.nodes.map((n) => n.keyword)).toEqual(["a", "b"]);
    });
  });
});
