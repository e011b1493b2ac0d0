// sd_notify against a real unix datagram socket (python3 plays the service manager's end).
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sdNotify } from "../../core/sys/sdnotify.ts";

const python = Bun.which("python3");

test.skipIf(!python)("sends each state as one datagram to $NOTIFY_SOCKET", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpvs-notify-"));
  const path = join(dir, "notify.sock");
  const receiver = Bun.spawn(
    [
      python!,
      "-c",
      `import socket,sys
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.bind(sys.argv[1]); print("ready",flush=True)
for _ in range(2): print(s.recv(4096).decode().replace("\\n","|"),flush=True)`,
      path,
    ],
    { stdout: "pipe" },
  );
  try {
    const reader = receiver.stdout.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("ready");
    expect(sdNotify("READY=1", path)).toBe(true);
    expect(sdNotify("RELOADING=1\nMONOTONIC_USEC=1", path)).toBe(true);
    let got = "";
    while (!got.includes("MONOTONIC")) {
      const r = await reader.read();
      if (r.done) break;
      got += new TextDecoder().decode(r.value);
    }
    expect(got.trim().split("\n")).toEqual(["READY=1", "RELOADING=1|MONOTONIC_USEC=1"]);
  } finally {
    receiver.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("is a no-op without NOTIFY_SOCKET, and fails cleanly when nothing listens", () => {
  expect(sdNotify("READY=1", undefined)).toBe(false);
  expect(sdNotify("READY=1", "/nonexistent/notify.sock")).toBe(false);
});
