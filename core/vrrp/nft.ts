// The one way the VRRP code changes the firewall: an nftables ruleset (handover-relay.ts builds them)
// applied by `nft -f -`, as one transaction, before the caller goes on.

import { runSync } from "../exec/run-command.ts";

const NFT_TIMEOUT_MS = 2000;

/** Apply `ruleset`; returns why it failed (nft missing, refused, too slow), or undefined. */
export function applyNft(ruleset: string): string | undefined {
  try {
    const r = runSync(["nft", "-f", "-"], { timeoutMs: NFT_TIMEOUT_MS, input: ruleset });
    if (r.timedOut) return `nft took longer than ${NFT_TIMEOUT_MS} ms`;
    if (r.code !== 0) return `nft exited with ${r.code}: ${r.stderr.trim().split("\n")[0] ?? ""}`;
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
