import path from "node:path";
import type { Logger } from "pino";
import type { Address } from "viem";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { InputError } from "../errors";
import type { Content } from "../protocol/content";
import { HeliaContent } from "../protocol/helia";
import { openContent } from "../protocol/openContent";
import { ContentStore } from "../protocol/store";
import { startAnnounce } from "./announce";
import { stakedInference } from "./outputs";

/** Where the demo's agents keep content: one shared folder store, or a store folder and an embedded IPFS node each. */
export type DemoContentKind = "folder" | "helia";
export const DEMO_CONTENT_KINDS: readonly DemoContentKind[] = ["folder", "helia"];

/** One agent's content: its store folder, and (helia) its own IPFS node. */
export type AgentContent = { store: ContentStore; content?: Content };

export type DemoContent = {
  kind: DemoContentKind;
  /** The content of the agent with this address. */
  of(account: Address): AgentContent;
  /**
   * The content the demo's summary and the explorer read: the shared store (folder), else the registrar relayer's
   * own store and node, which hold every round's manifest, outputs and payload.
   */
  reader: AgentContent;
  /** Each agent's store folder, by address (helia; empty for the folder kind, where all share the demo's folder). */
  stores: Map<Address, string>;
  /** The relayers' announcement API URLs (helia: outputs and signed reveals reach the relayers only so). */
  announceTo: string[];
  /** Closes every node and announcement server. */
  close(): Promise<void>;
};

/** Announcements the demo's relayers accept from one node at once: a whole window of outputs in one burst. */
function announceLimits(window: number) {
  const burst = Math.max(60, 2 * window);
  return { burst, perMinute: 60 * burst };
}

/**
 * Opens the demo's content. `folder`: one ContentStore in `storeDir`, shared by every agent (no backend: pointers on
 * chain are keccak256 hashes). `helia`: every agent gets a store folder of its own, `<storeDir>/<address>`, and an
 * embedded IPFS node in `<that folder>/ipfs`, listening on 127.0.0.1 and dialing loopback only (no bootstrap, no
 * discovery, no delegated routing). The relayers' nodes open first, the second peered with the first; every other
 * node is peered with both relayers' nodes (a star: the relayers pin every round's manifest, outputs and payloads,
 * so a want reaches peers that hold the block without going to every node). Each relayer also serves its
 * announcement API on 127.0.0.1, where inference nodes announce outputs and evaluators send signed reveals, as
 * daemons on separate machines do. `onDial` sees every address any node is about to dial.
 */
export async function openDemoContent(o: {
  kind: DemoContentKind;
  storeDir: string;
  relayers: Address[];
  others: Address[];
  clients: Clients;
  deployment: Deployment;
  logger: Logger;
  window: number;
  onDial?: (addr: string) => void;
}): Promise<DemoContent> {
  if (!DEMO_CONTENT_KINDS.includes(o.kind)) throw new InputError(`--content must be one of ${DEMO_CONTENT_KINDS.join(", ")}, got ${String(o.kind)}`);
  if (o.kind === "folder") {
    const shared = { store: new ContentStore(o.storeDir) };
    return { kind: "folder", of: () => shared, reader: shared, stores: new Map(), announceTo: [], close: async () => undefined };
  }
  const byAccount = new Map<Address, AgentContent>();
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    await Promise.all(closers.splice(0).map((c) => c().catch(() => undefined)));
  };
  const open = async (account: Address, peers: string[]) => {
    const dir = path.join(o.storeDir, account.toLowerCase());
    const store = new ContentStore(dir);
    const content = await openContent({ kind: "helia", dir: path.join(dir, "ipfs"), peers }, { onDial: o.onDial });
    closers.push(() => content.close());
    byAccount.set(account, { store, content });
    return (await content.info()).addresses;
  };
  try {
    const hubs: string[] = [];
    for (const r of o.relayers) hubs.push(...(await open(r, [...hubs])));
    await Promise.all(o.others.map((a) => open(a, hubs)));
    await Promise.all([...byAccount.values()].map((a) => (a.content instanceof HeliaContent ? a.content.waitForPeers(15_000) : undefined)));
    const announceTo: string[] = [];
    const isStaked = stakedInference(o.clients, o.deployment);
    for (const r of o.relayers) {
      const s = await startAnnounce({
        port: 0,
        store: byAccount.get(r)!.store,
        domain: { chainId: o.clients.chain.id, settlement: o.deployment.settlement },
        isStaked,
        logger: o.logger.child({ agent: "relayer", account: r }),
        ...announceLimits(o.window),
      });
      closers.push(s.close);
      announceTo.push(`http://127.0.0.1:${s.port}`);
    }
    const of = (account: Address) => {
      const a = byAccount.get(account);
      if (!a) throw new Error(`no content opened for ${account}`);
      return a;
    };
    return {
      kind: "helia",
      of,
      reader: of(o.relayers[0]),
      stores: new Map([...byAccount].map(([a, c]) => [a, c.store.dir])),
      announceTo,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
