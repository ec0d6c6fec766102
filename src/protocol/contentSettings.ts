/**
 * The content backend as a command's settings: `--content`, `--content-dir`, `--ipfs-listen`, `--ipfs-peers`,
 * `--ipfs-peer-urls` and `--kubo-url`, each with its environment variable, its schema (the same for a config file, the environment and a
 * flag) and its help text; and the backend's config resolved from them. Shared by the daemons (src/agents/config.ts),
 * `poq claim` and `poq explorer`, so every command reads the content options the same way.
 */
import path from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { InputError } from "../errors";
import { list, optional, text } from "../schema";
import { CONTENT_KINDS, contentConfigSchema, contentIssueText, multiaddrProblem, type ParsedContentConfig } from "./contentConfig";

/** A path: relative to `base` (the config file's folder, or the working directory for flags and environment). */
const pathIn = (base: string) => text().transform((p) => path.resolve(base, p));

/**
 * The `content` setting: a kind ("folder", "helia", "kubo"), or the backend's whole config as an object (in a file) or
 * as JSON text (environment, flag). A relative `dir` is resolved like every path. Checked as a whole, with its
 * defaults, once every source is merged (`resolveContent`).
 */
const contentSetting = (base: string) =>
  z.unknown().transform((v, ctx) => {
    const expected = `must be ${CONTENT_KINDS.join(", ")} or an object {kind, ...}`;
    let o: unknown = v;
    if (typeof v === "string") {
      const t = v.trim();
      try {
        o = t.startsWith("{") ? JSON.parse(t) : { kind: t };
      } catch {
        ctx.addIssue({ code: "custom", message: `${expected} (malformed JSON)` });
        return z.NEVER;
      }
    }
    if (!o || typeof o !== "object" || Array.isArray(o)) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    const c = { ...(o as Record<string, unknown>) };
    if (!(CONTENT_KINDS as readonly unknown[]).includes(c.kind)) {
      ctx.addIssue({ code: "custom", path: ["kind"], input: c.kind, message: `must be one of ${CONTENT_KINDS.join(", ")}` });
      return z.NEVER;
    }
    if (typeof c.dir === "string" && c.dir !== "") c.dir = path.resolve(base, c.dir);
    return c as { kind: (typeof CONTENT_KINDS)[number] } & Record<string, unknown>;
  });

/** A list of multiaddrs (JSON array or comma-separated); `peer`: each must end in /p2p/<peer id>. */
const multiaddrs = (peer: boolean) =>
  list().superRefine((items, ctx) => {
    items.forEach((a, i) => {
      const problem = multiaddrProblem(a, { peer });
      if (problem) ctx.addIssue({ code: "custom", path: [i], input: a, message: problem });
    });
  });

/** The content settings: schema (paths relative to `base`), environment variable, flag and help text of each. */
export function contentSettings(base: string) {
  return {
    content: {
      schema: optional(contentSetting(base)),
      env: "POQ_CONTENT",
      flag: "--content",
      arg: "kind",
      help: "where content is published and fetched: folder (the store folder, default), helia (an embedded IPFS node), kubo (a Kubo node's RPC API), or the whole config as JSON",
    },
    contentDir: { schema: optional(pathIn(base)), env: "POQ_CONTENT_DIR", flag: "--content-dir", arg: "dir", help: "folder of the content backend (folder: default the store; helia: the node's own folder, default <store>/ipfs)" },
    ipfsListen: { schema: optional(multiaddrs(false)), env: "POQ_IPFS_LISTEN", flag: "--ipfs-listen", arg: "multiaddrs", help: "helia: addresses to listen on, comma-separated (default /ip4/127.0.0.1/tcp/0)" },
    ipfsPeers: { schema: optional(multiaddrs(true)), env: "POQ_IPFS_PEERS", flag: "--ipfs-peers", arg: "multiaddrs", help: "helia: peers to keep connected, comma-separated, each ending in /p2p/<peer id>" },
    ipfsPeerUrls: {
      schema: optional(list()),
      env: "POQ_IPFS_PEER_URLS",
      flag: "--ipfs-peer-urls",
      arg: "urls",
      help: "helia: daemons whose nodes to keep connected, by the URL of their /healthz port, comma-separated, e.g. http://127.0.0.1:9101 (asked for their addresses at GET /v1/ipfs)",
    },
    kuboUrl: { schema: optional(text()), env: "POQ_KUBO_URL", flag: "--kubo-url", arg: "url", help: "kubo: the node's RPC API URL, e.g. http://127.0.0.1:5001" },
  } satisfies Record<string, { schema: z.ZodType; env: string; flag: string; arg: string; help: string }>;
}

export type ContentSettingName = keyof ReturnType<typeof contentSettings>;
export type ContentValues = { [K in ContentSettingName]?: z.output<ReturnType<typeof contentSettings>[K]["schema"]> };

/** Declares the content options on a command (help text with the environment variable of each). */
export function contentOptions(c: Command): Command {
  for (const s of Object.values(contentSettings("."))) c.option(`${s.flag} <${s.arg}>`, `${s.help} (${s.env})`);
  return c;
}

/**
 * The content backend from the merged settings: the `content` setting (a kind or a whole config; default "folder"),
 * then `contentDir`, `ipfsListen`, `ipfsPeers`, `ipfsPeerUrls` and `kuboUrl` on top. Checked as a whole (multiaddrs, loopback-only
 * dialing, the Kubo URL); a setting that does not apply to the kind is refused rather than ignored. The folder backend
 * defaults to the store folder, the embedded node's own folder to `<storeDir>/ipfs`.
 */
export function resolveContent(m: ContentValues, storeDir: string): ParsedContentConfig {
  const c: Record<string, unknown> = { ...(m.content ?? { kind: "folder" }) };
  const kind = c.kind as (typeof CONTENT_KINDS)[number];
  const flags = contentSettings(".");
  const refuse = (setting: ContentSettingName) => {
    throw new InputError(`${flags[setting].flag} does not apply to content kind "${kind}"`);
  };
  if (m.contentDir !== undefined) (kind === "kubo" ? refuse("contentDir") : (c.dir = m.contentDir));
  if (m.ipfsListen !== undefined) (kind !== "helia" ? refuse("ipfsListen") : (c.listen = m.ipfsListen));
  if (m.ipfsPeers !== undefined) (kind !== "helia" ? refuse("ipfsPeers") : (c.peers = m.ipfsPeers));
  if (m.ipfsPeerUrls !== undefined) (kind !== "helia" ? refuse("ipfsPeerUrls") : (c.peerUrls = m.ipfsPeerUrls));
  if (m.kuboUrl !== undefined) (kind !== "kubo" ? refuse("kuboUrl") : (c.kuboUrl = m.kuboUrl));
  if (kind === "folder") c.dir ??= storeDir;
  if (kind === "helia") c.dir ??= path.join(storeDir, "ipfs");
  const r = contentConfigSchema.safeParse(c, { reportInput: true });
  if (!r.success) throw new InputError(`invalid content setting: ${contentIssueText(r.error.issues[0])}`);
  if (r.data.kind === "helia" && path.resolve(r.data.dir) === path.resolve(storeDir)) {
    throw new InputError(`invalid content setting: content.dir must not be the store folder itself (${r.data.dir}): give the IPFS node its own folder`);
  }
  return r.data;
}
