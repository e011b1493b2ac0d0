// The one way the VRRP code changes the firewall: an nftables ruleset (handover-relay.ts builds them)
// applied by `nft -f -`, as one transaction, before the caller goes on.

import { runSync } from "../exec/run-command.ts";

const NFT_TIMEOUT_MS = 2000;

/** Apply `ruleset`; returns why it failed (nft missing, refused, too slow), or undefined. */
export function applyNft(ruleset: string): string | undefined {
  const r = nft(["-f", "-"], ruleset);
  return "error" in r ? r.error : undefined;
}

/** `nft list chain ...` and the like: the listing, or undefined when nft cannot give it. */
export function listNft(args: string[]): string | undefined {
  const r = nft(["list", ...args]);
  return "out" in r ? r.out : undefined;
}

function nft(args: string[], input?: string): { out: string } | { error: string } {
  try {
    const r = runSync(["nft", ...args], { timeoutMs: NFT_TIMEOUT_MS, input });
    if (r.timedOut) return { error: `nft took longer than ${NFT_TIMEOUT_MS} ms` };
    if (r.code !== 0) return { error: `nft exited with ${r.code}: ${r.stderr.trim().split("\n")[0] ?? ""}` };
    return { out: r.stdout };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
