import { serve as listen } from "@hono/node-server";
import { Hono } from "hono";
import type { Logger } from "pino";
import { getAddress, type Address, type Hex } from "viem";
import type { OutputRecord } from "../protocol/manifest";
import { ReceiptError, verifyReceipt, type Receipt, type ReceiptDomain } from "../protocol/receipt";
import type { ContentStore } from "../protocol/store";
import { RECEIPT_INDEX, receiptKey } from "./outputs";
import { REVEAL_INDEX, revealIndexKey, revealSigner, type PublishedReveal } from "./revealBatch";

/**
 * Output announcements: an inference node tells the relayers about each new output with a signed message to their
 * HTTP API (`POST /v1/announce`), so relayers on other machines learn of outputs without a shared folder. The
 * announcement is the output record and its EIP-712 receipt: the receipt is the node's signature over the record's
 * content hash, so a relayer checks it exactly as the registrar checks a pending output (signature, signer, content)
 * and, in addition, that the signer is a staked inference node; each node is rate-limited (token bucket). An
 * accepted output is stored in the relayer's own store and queued for its next batch.
 */

export type Announcement = { version: 1; record: OutputRecord; receipt: Receipt };
/**
 * Many announcements in one request (`POST /v1/announce/batch`): a node serving a window of outputs sends them
 * together. Each is checked and rate-limited on its own, and the answer gives each its outcome, in order.
 */
export type AnnouncementBatch = { version: 1; announcements: { record: OutputRecord; receipt: Receipt }[] };
/** Most announcements in one batch request. */
export const MAX_BATCH_ANNOUNCEMENTS = 256;
/** One announcement's outcome in a batch answer: accepted, or refused with the status a single request would get. */
export type BatchOutcome = { accepted: Hex } | { error: string; status: 400 | 403 | 429 };

export type AnnounceParameters = {
  store: ContentStore;
  domain: ReceiptDomain;
  /** True when `node` holds at least the minimum active inference stake (read from the vault). */
  isStaked: (node: Address) => Promise<boolean>;
  /** Announcements per node per minute, sustained (default 120), and the burst allowance (default 60). */
  perMinute?: number;
  burst?: number;
  /** Largest body accepted (default 2 MiB). */
  maxBytes?: number;
  logger?: Logger;
  now?: () => number;
};

/** A token bucket per key. */
export function rateLimiter(perMinute: number, burst: number, now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (key: string): boolean => {
    const t = now();
    const b = buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) * perMinute) / 60_000);
    b.at = t;
    buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };
}

/** The relayer's announcement API. */
export function announceApp(p: AnnounceParameters): Hono {
  const app = new Hono();
  const allow = rateLimiter(p.perMinute ?? 120, p.burst ?? 60, p.now);
  const maxBytes = p.maxBytes ?? 2 * 1024 * 1024;
  const refuse = (status: 400 | 403 | 413 | 429, message: string) => ({ status, body: { error: message } as const });

  async function accept(raw: unknown) {
    const a = raw as Partial<Announcement>;
    if (!a || typeof a !== "object" || a.version !== 1 || !a.record || typeof a.record !== "object" || !a.receipt || typeof a.receipt !== "object")
      return refuse(400, "malformed announcement: expected {version: 1, record, receipt}");
    const claimed = (a.receipt as { node?: unknown }).node;
    if (typeof claimed !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(claimed)) return refuse(400, "malformed announcement: receipt.node must be an address");
    const node = getAddress(claimed);
    let receipt: Receipt;
    try {
      receipt = await verifyReceipt(p.domain, a.receipt, a.record, node);
    } catch (e) {
      if (e instanceof ReceiptError) return refuse(403, `refused: ${e.shortMessage}`);
      throw e;
    }
    // Charged to the node only once its signature checks: announcements that merely name a node cannot use up its rate.
    if (!allow(node.toLowerCase())) return refuse(429, `too many announcements from ${node}: slow down`);
    if (!(await p.isStaked(node))) return refuse(403, `refused: ${node} is not a staked inference node`);
    const hash = p.store.putJson(a.record);
    if (hash !== receipt.outputHash.toLowerCase()) return refuse(400, "the record does not store under the hash its receipt signs");
    const receiptHash = p.store.putJson(receipt);
    p.store.setIndex(RECEIPT_INDEX, receiptKey(node, hash), receiptHash);
    p.store.addPending(node, hash);
    p.logger?.debug({ node, content_hash: hash }, "output announced");
    return { status: 200 as const, body: { accepted: hash } };
  }

  /**
   * An evaluator's signed reveal (`POST /v1/reveal`), so relayers with stores of their own can submit it in a batch:
   * it must be for this chain and deployment and signed (EIP-712) by the evaluator it names; the relayer checks it
   * against the chain (commitment, assignment) before submitting, as it does every published reveal.
   */
  const allowReveal = rateLimiter(p.perMinute ?? 120, p.burst ?? 60, p.now);
  async function acceptReveal(raw: unknown) {
    const f = raw as Partial<PublishedReveal>;
    if (!f || typeof f !== "object" || f.version !== 1 || typeof f.roundId !== "string" || !/^\d{1,30}$/.test(f.roundId) || !f.reveal || typeof f.reveal !== "object")
      return refuse(400, "malformed reveal: expected {version: 1, chainId, settlement, roundId, evaluator, reveal}");
    if (typeof f.evaluator !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(f.evaluator)) return refuse(400, "malformed reveal: evaluator must be an address");
    if (f.chainId !== p.domain.chainId || typeof f.settlement !== "string" || f.settlement.toLowerCase() !== p.domain.settlement.toLowerCase())
      return refuse(400, `not a reveal for this deployment (chain ${p.domain.chainId}, settlement ${p.domain.settlement})`);
    const evaluator = getAddress(f.evaluator);
    if (!allowReveal(evaluator.toLowerCase())) return refuse(429, `too many reveals from ${evaluator}: slow down`);
    const roundId = BigInt(f.roundId);
    if ((await revealSigner({ chainId: p.domain.chainId, contract: p.domain.settlement, roundId }, f.reveal)) !== evaluator) return refuse(403, `refused: the reveal is not signed by ${evaluator}`);
    const hash = p.store.putJson(f);
    p.store.setIndex(REVEAL_INDEX, revealIndexKey(roundId, evaluator), hash);
    p.logger?.debug({ evaluator, round_id: Number(roundId) }, "signed reveal received");
    return { status: 200 as const, body: { accepted: hash } };
  }

  const body = async (c: { req: { header: (n: string) => string | undefined; text: () => Promise<string> } }): Promise<{ raw: unknown } | { error: string; status: 400 | 413 }> => {
    const length = Number(c.req.header("content-length") ?? "0");
    if (length > maxBytes) return { error: `body too large (${length} bytes, at most ${maxBytes})`, status: 413 };
    try {
      const text = await c.req.text();
      if (text.length > maxBytes) return { error: `body too large (at most ${maxBytes} bytes)`, status: 413 };
      return { raw: JSON.parse(text) };
    } catch {
      return { error: "the body must be JSON", status: 400 };
    }
  };

  app.post("/v1/reveal", async (c) => {
    const b = await body(c);
    if ("error" in b) return c.json({ error: b.error }, b.status);
    const r = await acceptReveal(b.raw);
    return c.json(r.body, r.status);
  });

  app.post("/v1/announce/batch", async (c) => {
    const b = await body(c);
    if ("error" in b) return c.json({ error: b.error.replace(/^body/, "announcement batch") }, b.status);
    const batch = b.raw as Partial<AnnouncementBatch>;
    if (!batch || typeof batch !== "object" || batch.version !== 1 || !Array.isArray(batch.announcements))
      return c.json({ error: "malformed announcement batch: expected {version: 1, announcements: [{record, receipt}, ...]}" }, 400);
    if (batch.announcements.length === 0 || batch.announcements.length > MAX_BATCH_ANNOUNCEMENTS)
      return c.json({ error: `an announcement batch holds 1 to ${MAX_BATCH_ANNOUNCEMENTS} announcements, got ${batch.announcements.length}` }, 400);
    const results: BatchOutcome[] = [];
    for (const a of batch.announcements) {
      const r = await accept(a && typeof a === "object" ? { ...(a as object), version: 1 } : a);
      results.push(r.status === 200 ? r.body : { error: r.body.error, status: r.status as 400 | 403 | 429 });
    }
    return c.json({ results }, 200);
  });

  app.post("/v1/announce", async (c) => {
    const b = await body(c);
    if ("error" in b) return c.json({ error: b.error.replace(/^body/, "announcement") }, b.status);
    const r = await accept(b.raw);
    return c.json(r.body, r.status);
  });
  return app;
}

export function startAnnounce(p: AnnounceParameters & { port: number; host?: string }): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const server = listen({ fetch: announceApp(p).fetch, port: p.port, hostname: p.host ?? "127.0.0.1" }, (info) =>
      resolve({ port: info.port, close: () => new Promise<void>((r) => server.close(() => r())) }),
    );
  });
}

/**
 * Posts a JSON body to a relayer's API path. "ok": accepted; "retry": down, timed out, rate-limited (429) or a
 * server error, so the caller posts it again later; "refused": any other answer (a 4xx names what is wrong; `refused`
 * is told why), never posted again.
 */
async function postToRelayer(relayer: string, route: string, body: unknown, timeoutMs: number, refused: (why: string) => void): Promise<"ok" | "retry" | "refused"> {
  const res = await postJson(relayer, route, body, timeoutMs);
  if (!res || res.status === 429 || res.status >= 500) return "retry";
  if (res.status < 300) return "ok";
  refused(errorOf(res));
  return "refused";
}

/** Posts a JSON body to a relayer's API path: the answer's status and JSON body ({} when none), or undefined when down or timed out. */
async function postJson(relayer: string, route: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const res = await fetch(`${relayer.replace(/\/+$/, "")}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await res.json().catch(() => ({})) };
  } catch {
    return undefined;
  }
}

const errorOf = (res: { status: number; body: unknown }) => (res.body as { error?: string } | null)?.error ?? `HTTP ${res.status}`;

/**
 * The evaluator's side of `POST /v1/reveal`: posts a signed reveal to every relayer URL once; what a relayer did not
 * accept (down, rate-limited) is posted again by `retry()` (each tick) until `forget(roundId)`. Refusals are logged.
 */
export function createRevealSender(p: { relayers: string[]; logger?: Logger; timeoutMs?: number }) {
  const waiting = new Map<string, { file: PublishedReveal; to: Set<string> }>();
  const post = (file: PublishedReveal, to: string) =>
    postToRelayer(to, "/v1/reveal", file, p.timeoutMs ?? 5_000, (why) => p.logger?.warn({ relayer: to, round_id: Number(file.roundId), err: why }, "signed reveal refused"));
  async function send(key: string) {
    const w = waiting.get(key);
    if (!w) return;
    for (const to of [...w.to]) if ((await post(w.file, to)) !== "retry") w.to.delete(to);
  }
  return {
    /** Sends a signed reveal to every relayer (again only where it was not accepted). */
    async send(file: PublishedReveal) {
      const key = file.roundId;
      if (!waiting.has(key)) waiting.set(key, { file, to: new Set(p.relayers) });
      await send(key);
    },
    /** Posts again what some relayer has not accepted yet. */
    async retry() {
      for (const key of [...waiting.keys()]) await send(key);
    },
    /** Stops sending the reveal of a round (revealed, or the round moved on). */
    forget(roundId: bigint) {
      waiting.delete(roundId.toString());
    },
  };
}

export type RevealSender = ReturnType<typeof createRevealSender>;

/** Largest body the announcer sends in one batch request (relayers accept 2 MiB by default). */
const BATCH_BYTES = 1024 * 1024;

/**
 * The inference node's side: posts filed outputs to every relayer URL, many in one `POST /v1/announce/batch` request
 * (a relayer that does not know that route, 404, gets them one by one on `POST /v1/announce`); what a relayer did not
 * accept (down, rate-limited, a server error) is retried by `retry()` (each tick). Refusals (403/400) are logged and not
 * retried. `onDone` is called once every relayer has answered (accepted or refused) an announcement.
 */
export function createAnnouncer(p: { relayers: string[]; logger?: Logger; timeoutMs?: number; onDone?: (receipt: Receipt) => void }) {
  const waiting = new Map<string, Announcement & { to: Set<string> }>();
  const singleOnly = new Set<string>();
  const timeoutMs = p.timeoutMs ?? 10_000;
  const refused = (to: string, hash: Hex, why: string) => p.logger?.warn({ relayer: to, content_hash: hash, err: why }, "announcement refused");
  const postOne = (a: Announcement, to: string) => postToRelayer(to, "/v1/announce", a, timeoutMs, (why) => refused(to, a.receipt.outputHash, why));

  /** Posts one batch to one relayer; returns the keys it answered for (accepted or refused), or "single" on a 404. */
  async function postBatch(to: string, keys: string[]): Promise<string[] | "single"> {
    const items = keys.map((k) => waiting.get(k)!);
    const batch: AnnouncementBatch = { version: 1, announcements: items.map((a) => ({ record: a.record, receipt: a.receipt })) };
    const res = await postJson(to, "/v1/announce/batch", batch, timeoutMs);
    if (!res || res.status === 429 || res.status >= 500) return [];
    if (res.status === 404) return "single";
    if (res.status >= 300) {
      // The batch as a whole was refused (malformed, too large): each goes one by one instead.
      p.logger?.warn({ relayer: to, err: errorOf(res) }, "announcement batch refused: announcing one by one");
      return "single";
    }
    const results = (res.body as { results?: BatchOutcome[] } | null)?.results;
    if (!Array.isArray(results) || results.length !== keys.length) return "single";
    const answered: string[] = [];
    results.forEach((r, i) => {
      if ("accepted" in r) answered.push(keys[i]);
      else if (r.status !== 429) {
        refused(to, items[i].receipt.outputHash, r.error);
        answered.push(keys[i]);
      }
    });
    return answered;
  }

  /** Chunks of keys whose JSON stays within the batch size and count. */
  function chunks(keys: string[]): string[][] {
    const out: string[][] = [];
    let cur: string[] = [];
    let bytes = 0;
    for (const k of keys) {
      const a = waiting.get(k)!;
      const size = Buffer.byteLength(JSON.stringify(a.record)) + 1_024;
      if (cur.length > 0 && (cur.length >= MAX_BATCH_ANNOUNCEMENTS || bytes + size > BATCH_BYTES)) {
        out.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(k);
      bytes += size;
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  async function sendTo(to: string, keys: string[]) {
    const done = (k: string) => waiting.get(k)?.to.delete(to);
    if (!singleOnly.has(to)) {
      for (const chunk of chunks(keys)) {
        const answered = await postBatch(to, chunk);
        if (answered === "single") {
          singleOnly.add(to);
          break;
        }
        answered.forEach(done);
      }
    }
    if (singleOnly.has(to)) for (const k of keys) if (waiting.get(k)?.to.has(to) && (await postOne(waiting.get(k)!, to)) !== "retry") done(k);
  }

  async function send(keys: string[]) {
    for (const to of p.relayers) {
      const mine = keys.filter((k) => waiting.get(k)?.to.has(to));
      if (mine.length > 0) await sendTo(to, mine);
    }
    for (const k of keys) {
      const w = waiting.get(k);
      if (w && w.to.size === 0) {
        waiting.delete(k);
        p.onDone?.(w.receipt);
      }
    }
  }

  const add = (record: OutputRecord, receipt: Receipt) => {
    const key = `${receipt.node}-${receipt.outputHash}`;
    waiting.set(key, { version: 1, record, receipt, to: new Set(p.relayers) });
    return key;
  };

  return {
    /** Announces one filed output to every relayer. */
    async announce(record: OutputRecord, receipt: Receipt) {
      await send([add(record, receipt)]);
    },
    /** Announces many filed outputs to every relayer, in batch requests. */
    async announceMany(items: readonly { record: OutputRecord; receipt: Receipt }[]) {
      await send(items.map((it) => add(it.record, it.receipt)));
    },
    /** Retries what some relayer has not accepted yet; returns how many announcements still wait. */
    async retry() {
      await send([...waiting.keys()]);
      return waiting.size;
    },
    waiting: () => waiting.size,
  };
}

export type Announcer = ReturnType<typeof createAnnouncer>;
