// The normalised configuration every subsystem reads, as types inferred from the schema description
// (schema.ts, check-schema.ts, vrrp-schema.ts): a key added there appears here. Keys keep the TOML names
// operators write; every duration is a number of milliseconds; every address is parsed into an
// Endpoint. Defaults are filled in by the validator, so a key is optional only when "absent" means
// something.

import type { checkSection, CHECK_TYPE_NAMES } from "./check-schema.ts";
import type { Infer } from "./schema-kit.ts";
import type { configSection, globalSection, poolSection, serverSection } from "./schema.ts";
import type { ruleSection, virtualServerSection } from "./virtual-server-schema.ts";
import type { trackScriptSection, vrrpSection } from "./vrrp-schema.ts";

import type { Endpoint } from "../net/endpoint.ts";

export type { Endpoint };
export type { ListenerTlsConfig, PoolTlsConfig } from "./tls-schema.ts";

export type GlobalConfig = Infer<(typeof globalSection)["keys"]>;
export type RuleConfig = Infer<(typeof ruleSection)["keys"]>;
export type VirtualServerConfig = Infer<(typeof virtualServerSection)["keys"]>;
export type ServerConfig = Infer<(typeof serverSection)["keys"]>;
export type CheckType = (typeof CHECK_TYPE_NAMES)[number];
export type CheckConfig = Infer<(typeof checkSection)["keys"]>;
export type PoolConfig = { name: string } & Infer<(typeof poolSection)["keys"]>;
export type VrrpTrackScript = Infer<(typeof trackScriptSection)["keys"]>;
export type VrrpConfig = { name: string } & Infer<(typeof vrrpSection)["keys"]>;

export type MatchKind = Exclude<keyof RuleConfig, "pool" | "hash_capture">;

/** A whole file, normalised; `file` names where it came from, for messages. */
export type TcpvsConfig = { file: string } & Infer<(typeof configSection)["keys"]>;
