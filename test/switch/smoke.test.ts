import { afterEach, expect, test } from "bun:test";
import { exchange, GET, type Rig, rig, TestBackend } from "./helpers.ts";

let r: Rig | undefined;
afterEach(async () => {
  await r?.stop();
  r = undefined;
});

test("forwards a request and round-robins over two backends", async () => {
  r = await rig({ web: [new TestBackend("b1"), new TestBackend("b2")] });
  const a = await exchange(r.port, GET("/x") + GET("/y"), { count: 2 });
  expect(a.responses.map((x) => x.body)).toEqual(["hello from b1 /x", "hello from b2 /y"]);
  const req = r.backends[0]!.requests[0]!;
  expect(req.names).toContain("x-forwarded-for");
});
