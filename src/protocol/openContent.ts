/**
 * `openContent(config)`: the content backend a daemon uses, from a small config object (validated with zod).
 *
 *   { kind: "helia", dir: "store/relayer-1" }                                   # the default: embedded node, loopback
 *   { kind: "helia", dir, listen: ["/ip4/0.0.0.0/tcp/4001"], announce: ["/ip4/203.0.113.7/tcp/4001"],
 *     peers: ["/ip4/198.51.100.2/tcp/4001/p2p/12D3KooW…"], dial: "any" }        # a network of machines
 *   { kind: "kubo", kuboUrl: "http://127.0.0.1:5001" }                          # a Kubo node through its RPC API
 *   { kind: "folder", dir: "store" }                                            # one machine, no IPFS
 */
import { z } from "zod";
import { InputError } from "../errors";
import type { Content } from "./content";
import { FolderContent } from "./folderStore";
import { HeliaContent } from "./helia";
import { KuboContent } from "./kubo";

const multiaddr = z.string().regex(/^\/[a-z0-9-]+\/[^/]/i, "a multiaddr such as /ip4/127.0.0.1/tcp/4001");
const timeoutMs = z.number().int().positive().max(3_600_000).optional();

export const contentConfigSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("helia"),
      /** The daemon's own folder (blocks, datastore); never shared with another daemon. */
      dir: z.string().min(1),
      listen: z.array(multiaddr).min(1).default(["/ip4/127.0.0.1/tcp/0"]),
      announce: z.array(multiaddr).default([]),
      /** Peers to keep connected: multiaddrs ending in /p2p/<peer id>. */
      peers: z.array(multiaddr).default([]),
      dial: z.enum(["loopback", "any"]).default("loopback"),
      redialMs: z.number().int().min(50).max(600_000).default(2_000),
      timeoutMs,
    })
    .strict(),
  z
    .object({
      kind: z.literal("kubo"),
      kuboUrl: z.url({ protocol: /^https?$/ }),
      timeoutMs,
    })
    .strict(),
  z
    .object({
      kind: z.literal("folder"),
      dir: z.string().min(1),
    })
    .strict(),
]);

/** What a config file holds (defaults filled in by `parseContentConfig`). */
export type ContentConfig = z.input<typeof contentConfigSchema>;
export type ParsedContentConfig = z.output<typeof contentConfigSchema>;

/** Validates a content config; throws an InputError naming the first problem. */
export function parseContentConfig(raw: unknown): ParsedContentConfig {
  const r = contentConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue.path.length ? `content.${issue.path.join(".")}` : "content";
    throw new InputError(`invalid content config: ${at}: ${issue.message}`, { details: r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("\n") });
  }
  return r.data;
}

/** Opens the backend a config names. `onDial` (helia only) sees every address the node is about to dial. */
export async function openContent(raw: ContentConfig | unknown, hooks: { onDial?: (addr: string) => void } = {}): Promise<Content> {
  const c = parseContentConfig(raw);
  switch (c.kind) {
    case "helia":
      return HeliaContent.open({ dir: c.dir, listen: c.listen, announce: c.announce, peers: c.peers, dial: c.dial, redialMs: c.redialMs, timeoutMs: c.timeoutMs, onDial: hooks.onDial });
    case "kubo":
      return KuboContent.open({ url: c.kuboUrl, timeoutMs: c.timeoutMs });
    case "folder":
      return new FolderContent(c.dir);
  }
}
