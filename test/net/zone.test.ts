// A zoned link-local address goes from the config to the sockets: a listener bound to
// "[fe80::...%eth0]:8080" in one namespace, an http check from another namespace to its link-local
// address on that node's eth0. Root only (namespaces).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { isRoot, Lab, waitLine } from "../vrrp/lab.ts";

const ROOT = isRoot();
if (!ROOT) console.log("skipping the link-local zone test: it needs root (ip netns)");

let lab: Lab | undefined;
beforeAll(() => {
  if (ROOT) lab = new Lab(2, { ipv6: true });
});
afterAll(() => lab?.destroy());

test.skipIf(!ROOT)(
  "an http check reaches a listener over a zoned link-local address",
  async () => {
    const probe = `${import.meta.dir}/zone-probe.ts`;
    const target = `[${lab!.linkLocal(1)}%eth0]:8080`;
    const server = lab!.spawn(1, [process.execPath, probe, "serve", target]);
    await waitLine(server, /^listening /, 10_000);
    const r = lab!.sh(2, `${process.execPath} ${probe} check '${target}'`);
    const out = JSON.parse(r.out.trim().split("\n").pop()!);
    expect(out).toMatchObject({
      address: { kind: "inet", port: 8080, family: 6, zone: "eth0", text: target },
      ok: true,
      reason: "status 200",
    });
  },
  30_000,
);
