// dh: destination hashing (IPVS dh). In a user-space proxy the "destination" worth hashing is what
// the client asked for: by default Host plus path (query left out), or any `key`. Same table and
// fallback as sh; a cache farm keeps each object on one server.

import { keyOption, keyOptionSpec } from "./key.ts";
import { boolOption, numberOption, type SchedulerDef } from "./options.ts";
import { SourceHash } from "./sh.ts";

export const dh: SchedulerDef = {
  name: "dh",
  summary: "destination hash (Host + path by default) over a bucket table",
  options: {
    key: keyOptionSpec("host_path"),
    fallback: { type: "boolean", default: true, doc: "rehash past a down, quiescent or full server" },
    table_size: { type: "number", default: 4096, min: 16, max: 1 << 20, integer: true, doc: "buckets" },
  },
  create: (servers, options) =>
    new SourceHash(
      "dh",
      servers,
      keyOption(options, "host_path"),
      boolOption(options, "fallback", true),
      numberOption(options, "table_size", 4096),
    ),
};
