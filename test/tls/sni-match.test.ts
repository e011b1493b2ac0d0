// The two name matchers: the certificate lookup (exact SAN, then a wildcard one label up, else the
// first certificate) and the sni rule matcher (exact, or any name under a "*." suffix, as host does).

import { describe, expect, test } from "bun:test";
import { CertificateStore } from "../../core/tls/certificate-store.ts";
import { LoadedCertificate } from "../../core/tls/certificates.ts";
import { serverNameMatcher, SniRouter } from "../../core/tls/sni-match.ts";

const cert = (file: string, names: string[]) => new LoadedCertificate(file, names, new Date(0), "", "", file);

describe("CertificateStore.indexFor", () => {
  const store = new CertificateStore([
    cert("default", ["www.example.com"]),
    cert("wild", ["*.example.com"]),
    cert("api", ["api.example.com", "API2.example.com".toLowerCase()]),
    cert("again", ["www.example.com"]),
  ]);

  test("exact names first, case and a trailing dot ignored; the first certificate naming a host wins", () => {
    expect(store.indexFor("api.example.com")).toBe(2);
    expect(store.indexFor("API2.Example.COM.")).toBe(2);
    expect(store.indexFor("www.example.com")).toBe(0);
  });

  test("a wildcard covers one label only; no SNI or no match gets the default", () => {
    expect(store.indexFor("shop.example.com")).toBe(1);
    expect(store.indexFor("a.shop.example.com")).toBe(0);
    expect(store.indexFor("example.com")).toBe(0);
    expect(store.indexFor(undefined)).toBe(0);
    expect(store.indexFor("other.test")).toBe(0);
  });
});

describe("sni matcher and router", () => {
  test('exact names and "*." suffixes of any depth; no SNI matches nothing', () => {
    const m = serverNameMatcher(["a.test", "*.b.test"]);
    expect([m("a.test"), m("A.TEST"), m("x.a.test")]).toEqual([true, true, false]);
    expect([m("x.b.test"), m("y.x.b.test"), m("b.test"), m(undefined)]).toEqual([true, true, false, false]);
  });

  test("the first rule naming the server wins; rules without sni are not SNI rules", () => {
    const r = new SniRouter({
      pool: "def",
      rule: [{ sni: ["*.x.test"], pool: "one" }, { pool: "never" }, { sni: ["a.x.test"], pool: "two" }],
    });
    expect(r.active).toBe(true);
    expect(r.route("a.x.test")).toBe("one");
    expect(r.route("x.test")).toBe("def");
    expect(r.route(undefined)).toBe("def");
    expect(new SniRouter({ pool: "def", rule: [{ pool: "p" }] }).active).toBe(false);
  });
});
