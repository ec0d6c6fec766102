/**
 * `openContent(config)`: the content backend a daemon uses, from a small config object (validated with zod).
 *
 *   { kind: "helia", dir: "store/relayer-1" }                                   # an embedded node, loopback only
 *   { kind: "helia", dir, listen: ["/ip4/0.0.0.0/tcp/4001"], announce: ["/ip4/203.0.113.7/tcp/4001"],
 *     peers: ["/ip4/198.51.100.2/tcp/4001/p2p/12D3KooW…"], dial: "any" }        # a network of machines
 *   { kind: "helia", dir, peerUrls: ["http://127.0.0.1:9101"] }                 # peers: that daemon's nodes
 *   { kind: "kubo", kuboUrl: "http://127.0.0.1:5001" }                          # a Kubo node through its RPC API
 *   { kind: "folder", dir: "store" }                                            # one machine, no IPFS
 */
import path from "node:path";
import type { Content } from "./content";
import { parseContentConfig, type ContentConfig, type ParsedContentConfig } from "./contentConfig";
import { FolderContent } from "./folderStore";
import { HeliaContent } from "./helia";
import { KuboContent } from "./kubo";
import type { ContentStore } from "./store";
import { peerUrlSource } from "./peerUrls";

/** How often a node asks the daemons named by URL for their addresses again. */
const PEER_URL_REFRESH_MS = 15_000;

export { contentConfigSchema, parseContentConfig, type ContentConfig, type ParsedContentConfig } from "./contentConfig";

/** Opens the backend a config names. `onDial` (helia only) sees every address the node is about to dial. */
export async function openContent(raw: ContentConfig | unknown, hooks: { onDial?: (addr: string) => void } = {}): Promise<Content> {
  const c = parseContentConfig(raw);
  switch (c.kind) {
    case "helia":
    {
      // Daemons named by their HTTP port are asked for their nodes' addresses (they may still be starting).
      // Asked again every 15 s: a daemon that restarts keeps its peer id but may listen on another port.
      const peerSource = c.peerUrls.length ? { ...(await peerUrlSource(c.peerUrls, { dial: c.dial })), everyMs: PEER_URL_REFRESH_MS } : undefined;
      return HeliaContent.open({ dir: c.dir, listen: c.listen, announce: c.announce, peers: c.peers, dial: c.dial, redialMs: c.redialMs, timeoutMs: c.timeoutMs, onDial: hooks.onDial, peerSource });
    }
    case "kubo":
      return KuboContent.open({ url: c.kuboUrl, timeoutMs: c.timeoutMs });
    case "folder":
      return new FolderContent(c.dir);
  }
}

/**
 * A command's content backend beside its store: the store itself when the config names the store's folder (the
 * default folder backend, no second copy of anything), else what `openContent` opens (an embedded IPFS node in the
 * command's own folder, or a Kubo node). Daemons, `poq claim` and `poq explorer` open theirs with it.
 */
export async function openStoreContent(config: ParsedContentConfig, store: ContentStore): Promise<Content> {
  if (config.kind === "folder" && path.resolve(config.dir) === store.dir) return new FolderContent(store);
  return openContent(config);
}
