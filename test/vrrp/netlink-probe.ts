// Runs inside a test namespace: exercises netlink address add/del and prints each outcome as JSON.

import { ifIndex } from "../../core/sys/iface.ts";
import { addAddress, delAddress, dropAddress, ensureAddress } from "../../core/sys/netlink.ts";

const ifindex = ifIndex("eth0");
const a = { ifindex, address: "10.77.0.200", prefix: 24, label: "eth0:vip" };
const attempt = (name: string, fn: () => unknown) => {
  try {
    return { step: name, ok: true, value: fn() };
  } catch (e) {
    const err = e as { errnoName?: string; message?: string };
    return { step: name, ok: false, code: err.errnoName, message: err.message };
  }
};
const results = [
  attempt("add", () => addAddress(a)),
  attempt("add again", () => addAddress(a)),
  attempt("ensure existing", () => ensureAddress(a)),
  attempt("del", () => delAddress(a)),
  attempt("del again", () => delAddress(a)),
  attempt("drop missing", () => dropAddress(a)),
  attempt("add on missing ifindex", () => addAddress({ ...a, ifindex: 99999 })),
];
console.log(JSON.stringify(results));
