// init checks each answer with the file's own readers: what checkKey accepts, the loader accepts.

import { describe, expect, test } from "bun:test";
import { checkKey } from "../../core/config/check-key.ts";
import { poolSection, serverSection } from "../../core/config/schema.ts";
import { virtualServerSection } from "../../core/config/virtual-server-schema.ts";
import { vrrpSection } from "../../core/config/vrrp-schema.ts";

describe("checkKey", () => {
  test("a backend host name is refused with the loader's words; an address is taken", () => {
    expect(checkKey(serverSection, "address", "app.internal:8080")).toBe(
      'invalid address "app.internal:8080": "app.internal" is not an IPv4 or IPv6 address; tcpvs does not resolve host names, write the address, e.g. "10.0.0.1:8080"',
    );
    expect(checkKey(serverSection, "address", "10.0.0.1:8080")).toBeUndefined();
  });

  test("list keys, ranges and VRRP rules", () => {
    expect(checkKey(virtualServerSection, "listen", ["0.0.0.0:80", "[::]:80"])).toBeUndefined();
    expect(checkKey(virtualServerSection, "listen", "0.0.0.0")).toContain("a port is required");
    expect(checkKey(vrrpSection, "virtual_router_id", 256)).toBe("256 is out of range: expected 1-255");
    expect(checkKey(vrrpSection, "virtual_ipaddress", ["10.0.0.100/24"])).toBeUndefined();
    expect(checkKey(vrrpSection, "virtual_ipaddress", ["10.0.0.100/33"])).toContain("prefix must be 0-32");
    expect(checkKey(vrrpSection, "auth_pass", "ééééé")).toContain("Remove auth_pass");
  });

  test("a rule that compares keys sees the ones given beside; only the checked key's problems count", () => {
    const v6 = { virtual_ipaddress: ["2001:db8::100/64"] };
    expect(checkKey(vrrpSection, "unicast_peer", ["2001:db8::2"], v6)).toBeUndefined();
    expect(checkKey(vrrpSection, "unicast_peer", ["2001:db8::2"])).toContain("expected an IPv4 address");
    expect(checkKey(vrrpSection, "unicast_src_ip", "10.0.0.1", v6)).toContain("expected an IPv6 address");
    // A bad neighbour is not this key's problem.
    expect(checkKey(vrrpSection, "unicast_peer", ["10.0.0.2"], { virtual_ipaddress: ["x"] })).toBeUndefined();
    expect(
      checkKey(poolSection, "server", [
        { address: "10.0.0.1:80", name: "a" },
        { address: "10.0.0.2:80", name: "a" },
      ]),
    ).toBe('duplicate server name "a" (also server[0])');
  });
});
