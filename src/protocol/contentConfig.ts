/**
 * The content backend's config (validated with zod, no I/O): what `openContent` opens and what every daemon config
 * carries as its `content` setting.
 *
 *   { kind: "folder", dir }                                            # one machine, no IPFS (the default)
 *   { kind: "helia", dir, listen: ["/ip4/127.0.0.1/tcp/4001"],
 *     peers: ["/ip4/127.0.0.1/tcp/4002/p2p/12D3KooW…"] }                # an embedded node, loopback only
 *   { kind: "helia", dir, listen: ["/ip4/0.0.0.0/tcp/4001"], announce: ["/ip4/203.0.113.7/tcp/4001"],
 *     peers: [...], dial: "any" }                                      # a network of machines
 *   { kind: "kubo", kuboUrl: "http://127.0.0.1:5001" }                 # a Kubo node through its RPC API
 *
 * Multiaddrs are checked here, before anything starts: the embedded node speaks TCP only, a peer must end in
 * /p2p/<peer id> (the node must know whom it reaches), and with `dial: "loopback"` (the default, the only setting the
 * tests and the demo use) every listen address and peer must be on 127.0.0.0/8 or ::1.
 */
import { z } from "zod";
import { InputError } from "../errors";

const BASE58 = /^[1-9A-HJ-NP-Za-km-z]{40,100}$/;
const BASE32_CID = /^b[a-z2-7]{50,120}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]{2,45}$/;
const HOST = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** True for a multiaddr on the loopback interface (127.0.0.0/8, ::1, localhost). */
export function isLoopbackMultiaddr(addr: string): boolean {
  return /^\/ip4\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}(\/|$)/.test(addr) || /^\/ip6\/::1(\/|$)/.test(addr) || /^\/dns[46]?\/localhost(\/|$)/.test(addr);
}

/** True for an http(s) URL whose host is on the loopback interface (127.0.0.0/8, [::1], localhost). */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === "[::1]" || host === "localhost";
}

/**
 * What is wrong with `addr` as a TCP multiaddr (`/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<peer id>]`), or
 * undefined when it is fine. `peer`: it must name the peer (end in /p2p/<peer id>).
 */
export function multiaddrProblem(addr: string, o: { peer: boolean }): string | undefined {
  const example = o.peer ? "/ip4/127.0.0.1/tcp/4001/p2p/<peer id>" : "/ip4/127.0.0.1/tcp/4001";
  const bad = (why: string) => `is not a usable multiaddr (${why}); expected one like ${example}`;
  if (!addr.startsWith("/")) return bad("it must start with /");
  const parts = addr.slice(1).split("/");
  const [proto, host, tcp, port, p2p, id, ...rest] = parts;
  if (!["ip4", "ip6", "dns", "dns4", "dns6"].includes(proto)) return bad(`it must start with /ip4, /ip6, /dns, /dns4 or /dns6, not /${proto}`);
  if (host === undefined || host === "") return bad(`/${proto} needs an address`);
  if (proto === "ip4" && !IPV4.test(host)) return bad(`"${host}" is not an IPv4 address`);
  if (proto === "ip6" && !(IPV6.test(host) && host.includes(":"))) return bad(`"${host}" is not an IPv6 address`);
  if (proto.startsWith("dns") && !HOST.test(host)) return bad(`"${host}" is not a host name`);
  if (tcp !== "tcp") return bad(tcp === undefined ? "no /tcp/<port>" : `only TCP is supported (the embedded node has the TCP transport only), not /${tcp}`);
  if (port === undefined || !/^\d{1,5}$/.test(port) || Number(port) > 65_535) return bad(`"${port ?? ""}" is not a TCP port`);
  if (p2p !== undefined && p2p !== "p2p") return bad(`unexpected /${p2p} after the port`);
  if (p2p === "p2p" && (id === undefined || !(BASE58.test(id) || BASE32_CID.test(id)))) return bad(`"${id ?? ""}" is not a peer id`);
  if (rest.length) return bad(`unexpected /${rest.join("/")} after the peer id`);
  if (o.peer && p2p !== "p2p") return "must end with /p2p/<peer id>, so the node knows whom it reaches";
  return undefined;
}

const multiaddr = (peer: boolean) =>
  z.string({ error: "must be a multiaddr string" }).superRefine((v, ctx) => {
    const problem = multiaddrProblem(v, { peer });
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: v });
  });
const timeoutMs = z.number().int().positive().max(3_600_000).optional();

const heliaSchema = z
  .object({
    kind: z.literal("helia"),
    /** The daemon's own folder (blocks, datastore); never shared with another daemon. */
    dir: z.string().min(1),
    listen: z.array(multiaddr(false)).min(1).default(["/ip4/127.0.0.1/tcp/0"]),
    announce: z.array(multiaddr(false)).default([]),
    /** Peers to keep connected: multiaddrs ending in /p2p/<peer id>. */
    peers: z.array(multiaddr(true)).default([]),
    /**
     * Daemons whose nodes to keep connected too, by their HTTP port (`http://127.0.0.1:9101`): at start the node asks
     * each for its addresses (`GET /v1/ipfs`), so a setup needs no peer id written by hand.
     */
    peerUrls: z.array(z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL of a daemon's port" })).default([]),
    dial: z.enum(["loopback", "any"]).default("loopback"),
    redialMs: z.number().int().min(50).max(600_000).default(2_000),
    timeoutMs,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.dial !== "loopback") return;
    for (const key of ["listen", "peers"] as const) {
      c[key].forEach((a, i) => {
        if (!isLoopbackMultiaddr(a))
          ctx.addIssue({ code: "custom", path: [key, i], input: a, message: `${a} is not a loopback address, and this node only dials loopback (set dial: "any" for a network of machines)` });
      });
    }
    c.peerUrls.forEach((u, i) => {
      if (!isLoopbackUrl(u)) ctx.addIssue({ code: "custom", path: ["peerUrls", i], input: u, message: `${u} is not on the loopback interface, and this node only dials loopback (set dial: "any" for a network of machines)` });
    });
  });

export const contentConfigSchema = z.discriminatedUnion("kind", [
  heliaSchema,
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

export const CONTENT_KINDS = ["folder", "helia", "kubo"] as const;

/** What a config file holds (defaults filled in by `parseContentConfig`). */
export type ContentConfig = z.input<typeof contentConfigSchema>;
export type ParsedContentConfig = z.output<typeof contentConfigSchema>;

/** The first problem of a failed parse as one line: `content.peers.0: … , got "…"`. */
export function contentIssueText(issue: z.core.$ZodIssue, prefix = "content"): string {
  const at = issue.path.length ? `${prefix}.${issue.path.map(String).join(".")}` : prefix;
  const input = "input" in issue && typeof issue.input === "string" && !issue.message.includes(issue.input) ? ` (got ${JSON.stringify(issue.input)})` : "";
  return `${at}: ${issue.message}${input}`;
}

/** Validates a content config; throws an InputError naming the first problem. */
export function parseContentConfig(raw: unknown): ParsedContentConfig {
  const r = contentConfigSchema.safeParse(raw, { reportInput: true });
  if (!r.success) {
    throw new InputError(`invalid content config: ${contentIssueText(r.error.issues[0])}`, { details: r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("\n") });
  }
  return r.data;
}
