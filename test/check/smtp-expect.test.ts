import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { runOneCheck } from "../../core/check/registry.ts";
import { smtpReply } from "../../core/check/smtp.ts";
import { checkDefaults } from "../../core/check/types.ts";
import { closedTcpPort, inet, tcpServer } from "./net-helpers.ts";

const open: Array<{ stop(force?: boolean): void }> = [];
afterAll(() => {
  for (const l of open) l.stop(true);
});

/** An SMTP speaker written here: `banner`, then answers EHLO/HELO with `hello(verb)`. */
function fakeSmtp(banner: string, hello: (verb: string, line: string) => string) {
  const l = tcpServer(
    (s) => s.write(banner),
    (s, all) => {
      const lines = all.split("\r\n");
      s.data.buf = lines.pop() ?? "";
      for (const line of lines) {
        const verb = line.split(" ")[0]!.toUpperCase();
        if (verb === "QUIT") s.end("221 bye\r\n");
        else s.write(hello(verb, line));
      }
    },
  );
  open.push(l);
  return l.port;
}

describe("smtp reply reader", () => {
  test("reads multi-line replies and reports the bytes used", () => {
    const text = "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n221 x";
    const r = smtpReply(new TextEncoder().encode(text));
    expect(r).toEqual({ code: 250, text: "250-mx.test / 250-PIPELINING / 250 8BITMIME", length: 43 });
    expect(smtpReply(new TextEncoder().encode("250-partial\r\n"))).toBeUndefined();
  });
});

describe("smtp check", () => {
  test("passes against a real OpenSMTPD on loopback", async () => {
    if (!existsSync("/usr/sbin/smtpd")) {
      console.log("skip real MTA: /usr/sbin/smtpd (opensmtpd) not installed");
      return;
    }
    const port = closedTcpPort();
    const dir = mkdtempSync("/tmp/tcpvs-smtpd-");
    const conf = `${dir}/smtpd.conf`;
    writeFileSync(
      conf,
      `listen on 127.0.0.1 port ${port} hostname mx.test\naction "l" mbox\nmatch from local for local action "l"\n`,
    );
    chmodSync(conf, 0o600);
    const mta = Bun.spawn(["/usr/sbin/smtpd", "-d", "-f", conf], { stdio: ["ignore", "ignore", "ignore"] });
    try {
      let r = await runOneCheck(checkDefaults({ type: "smtp", timeout: 500 }), inet(port));
      for (let i = 0; i < 40 && r.reason === "refused"; i++) {
        await Bun.sleep(50);
        r = await runOneCheck(checkDefaults({ type: "smtp", timeout: 500 }), inet(port));
      }
      expect(r).toMatchObject({ ok: true, reason: "banner 220, HELO 250" });
    } finally {
      mta.kill("SIGTERM");
      await mta.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("falls back to HELO when EHLO is refused, with the configured name", async () => {
    const seen: string[] = [];
    const port = fakeSmtp("220 old.test\r\n", (verb, line) => {
      seen.push(line);
      return verb === "EHLO" ? "502 no\r\n" : "250 old.test\r\n";
    });
    const r = await runOneCheck(checkDefaults({ type: "smtp", helo_name: "lb1.test" }), inet(port));
    expect(r.ok).toBe(true);
    expect(seen).toEqual(["EHLO lb1.test", "HELO lb1.test"]);
  });

  test("a wrong banner fails and quotes it", async () => {
    const port = fakeSmtp("421 mx.test too busy\r\n", () => "250 x\r\n");
    const r = await runOneCheck(checkDefaults({ type: "smtp" }), inet(port));
    expect(r).toMatchObject({ ok: false, reason: 'banner "421 mx.test too busy"' });
  });

  test("a refused HELO fails", async () => {
    const port = fakeSmtp("220 mx\r\n", () => "550 go away\r\n");
    const r = await runOneCheck(checkDefaults({ type: "smtp" }), inet(port));
    expect(r).toMatchObject({ ok: false, reason: 'HELO answered "550 go away"' });
  });

  test("refused and silent servers fail", async () => {
    expect((await runOneCheck(checkDefaults({ type: "smtp" }), inet(closedTcpPort()))).reason).toBe(
      "refused",
    );
    const silent = tcpServer(() => {});
    open.push(silent);
    const r = await runOneCheck(checkDefaults({ type: "smtp", timeout: 100 }), inet(silent.port));
    expect(r).toMatchObject({ ok: false, reason: "timed out after 100 ms" });
  });
});

describe("expect check", () => {
  const redisLike = () => {
    const l = tcpServer(
      () => {},
      (s, all) => {
        if (all.endsWith("PING\r\n")) s.write("+PONG\r\n");
        if (all.endsWith("INFO\r\n")) s.write("role:master\r\n");
      },
    );
    open.push(l);
    return l.port;
  };

  test("a dialogue of steps passes", async () => {
    const check = checkDefaults({
      type: "expect",
      steps: [
        { send: "PING\r\n", expect: "^\\+PONG" },
        { send: "INFO\r\n", expect: "role:master" },
      ],
    });
    expect(await runOneCheck(check, inet(redisLike()))).toMatchObject({
      ok: true,
      reason: "2 step(s) passed",
    });
  });

  test("a step whose reply never matches times out with what it got", async () => {
    const check = checkDefaults({
      type: "expect",
      timeout: 150,
      steps: [
        { send: "PING\r\n", expect: "PONG" },
        { send: "INFO\r\n", expect: "role:replica" },
      ],
    });
    const r = await runOneCheck(check, inet(redisLike()));
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(
      'step 2: timed out after 150 ms waiting for /role:replica/, got "\\r\\nrole:master\\r\\n"',
    );
  });

  test("send/expect keys work without steps; a closed connection fails the step", async () => {
    const l = tcpServer((s) => s.end("hello\n"));
    open.push(l);
    const pass = await runOneCheck(checkDefaults({ type: "expect", expect: "^hel+o" }), inet(l.port));
    expect(pass.ok).toBe(true);
    const fail = await runOneCheck(checkDefaults({ type: "expect", expect: "^bye" }), inet(l.port));
    expect(fail).toMatchObject({ ok: false, reason: 'step 1: got "hello\\n", want /^bye/' });
  });
});
