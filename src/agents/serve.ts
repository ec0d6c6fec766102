import { serve as listen, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import type { Logger } from "pino";
import type { Hex } from "viem";
import type { LoggedOutput } from "../data/logged";
import type { OutputRecord } from "../protocol/manifest";
import { queryHashOf, tokenEstimate, type Receipt } from "../protocol/receipt";

/**
 * The inference node's query API: an OpenAI-compatible `POST /v1/chat/completions` in front of a configured
 * OpenAI-compatible backend (vLLM, llama.cpp server, Ollama, a hosted API) or the built-in replay backend. Each
 * answered query becomes an output record (query, output, model, token estimate, measured latency) filed with a
 * signed receipt for the next batch, and is fanned out to up to `fanoutCount` peer nodes, so the query has several
 * outputs to agree on. Streaming is refused (the output must be complete to be filed).
 */

/** A chat message as the API takes it (text content only). */
type Message = { role: string; content: string };

/** What a backend answered: the text and, when it says so, its own usage counts and extra metadata. */
export type BackendAnswer = { content: string; usage?: { prompt_tokens?: number; completion_tokens?: number }; metadata?: Record<string, unknown> };

/** Answers a chat request for `model` (the name this node serves it under). */
export type Backend = (p: { model: string; messages: Message[]; body: Record<string, unknown>; signal: AbortSignal }) => Promise<BackendAnswer>;

/** A backend error to report to the caller with this HTTP status. */
class ApiError extends Error {
  constructor(
    readonly status: 400 | 404 | 502 | 503 | 504,
    message: string,
    readonly type = "invalid_request_error",
  ) {
    super(message);
  }
}

/** An OpenAI-compatible server at `baseUrl` (".../v1" or the root); `backendModel` maps a served model to the backend's name. */
export function httpBackend(baseUrl: string, options: { backendModel?: (model: string) => string; apiKey?: string } = {}): Backend {
  const root = baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
  return async ({ model, body, signal }) => {
    let res: Response;
    try {
      res = await fetch(`${root}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
        body: JSON.stringify({ ...body, model: options.backendModel?.(model) ?? model, stream: false }),
        signal,
      });
    } catch (e) {
      throw new ApiError(502, `backend ${root} unreachable: ${(e as Error).message}`, "backend_error");
    }
    const text = await res.text();
    if (!res.ok) throw new ApiError(502, `backend ${root} answered ${res.status}: ${text.slice(0, 200)}`, "backend_error");
    let j: { choices?: { message?: { content?: unknown } }[]; usage?: BackendAnswer["usage"] };
    try {
      j = JSON.parse(text);
    } catch {
      throw new ApiError(502, `backend ${root} answered malformed JSON`, "backend_error");
    }
    const content = j.choices?.[0]?.message?.content;
    if (typeof content !== "string") throw new ApiError(502, `backend ${root} answered no choices[0].message.content`, "backend_error");
    return { content, usage: j.usage };
  };
}

/**
 * The built-in replay backend: answers with the logged output of the requested model for the query whose text is
 * the last user message (and whose context, if any, is the earlier messages). It stands in for a model where none
 * can run, and says so in its responses' metadata (`poq.backend: "replay"`).
 */
export function replayBackend(items: readonly LoggedOutput[]): Backend {
  const byKey = new Map<string, LoggedOutput>();
  for (const it of items) byKey.set(`${it.model}\u0000${queryHashOf(it)}`, it);
  return async ({ model, messages }) => {
    const { query, context } = queryOf(messages);
    const hit = byKey.get(`${model}\u0000${queryHashOf({ query, context })}`);
    if (!hit) throw new ApiError(404, `the replay backend has no logged output of model ${model} for this query`, "not_found");
    return { content: hit.output, metadata: { backend: "replay", replayOf: hit.id } };
  };
}

/** The query of a chat: the last user message; the contents of the messages before it (blank-line separated) are its context. */
export function queryOf(messages: Message[]): { query: string; context?: string } {
  let last = -1;
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === "user") {
    last = i;
    break;
  }
  if (last < 0) throw new ApiError(400, "messages must include a user message");
  const before = messages.slice(0, last);
  return before.length ? { query: messages[last].content, context: before.map((m) => m.content).join("\n\n") } : { query: messages[last].content };
}

function parseMessages(v: unknown): Message[] {
  if (!Array.isArray(v) || v.length === 0) throw new ApiError(400, "messages must be a non-empty array");
  return v.map((m, i) => {
    if (!m || typeof m !== "object" || typeof (m as Message).role !== "string") throw new ApiError(400, `messages[${i}] must be an object with a role`);
    const c = (m as { content?: unknown }).content;
    if (typeof c !== "string") throw new ApiError(400, `messages[${i}].content must be a string (text only)`);
    return { role: (m as Message).role, content: c };
  });
}

/** Header a fanned-out request carries, so the peer serves it without fanning it out again. */
export const FANOUT_HEADER = "x-poq-fanout";

export type ServeParameters = {
  /** The models this node serves; a request naming another is refused. */
  models: string[];
  backend: Backend;
  /** Files one served output (the inference node's `file`). */
  file: (record: OutputRecord, latencyMs: number) => Promise<{ contentHash: Hex; receipt: Receipt; receiptHash: Hex }>;
  /** Peer nodes' base URLs (http://host:port) to fan each query out to. */
  peers?: string[];
  /** How many peers each query goes to (default: all). */
  fanoutCount?: number;
  backendTimeoutMs?: number;
  logger?: Logger;
};

/** The Hono app of the query API. */
export function serveApp(p: ServeParameters): Hono {
  const app = new Hono();
  const peers = p.peers ?? [];
  const count = Math.min(p.fanoutCount ?? peers.length, peers.length);
  let next = 0;
  app.post("/v1/chat/completions", async (c) => {
    try {
      let body: Record<string, unknown>;
      try {
        body = (await c.req.json()) as Record<string, unknown>;
      } catch {
        throw new ApiError(400, "the request body must be a JSON object");
      }
      if (!body || typeof body !== "object" || Array.isArray(body)) throw new ApiError(400, "the request body must be a JSON object");
      if (body.stream === true) throw new ApiError(400, "streaming is not supported: this node files each complete output with a signed receipt; send stream: false");
      if (body.n !== undefined && body.n !== 1) throw new ApiError(400, "n must be 1 (one output per query and node)");
      const model = body.model === undefined ? p.models[0] : body.model;
      if (typeof model !== "string" || !p.models.includes(model)) throw new ApiError(404, `model ${String(model)} is not served here (served: ${p.models.join(", ")})`, "model_not_found");
      const messages = parseMessages(body.messages);
      const { query, context } = queryOf(messages);
      const started = performance.now();
      const answer = await p.backend({ model, messages, body, signal: AbortSignal.timeout(p.backendTimeoutMs ?? 120_000) });
      const latencyMs = Math.round(performance.now() - started);
      const queryHash = queryHashOf({ query, context });
      const record: OutputRecord = {
        id: `${queryHash}:${model}`,
        task: "qa",
        queryId: queryHash,
        query,
        ...(context !== undefined ? { context } : {}),
        output: answer.content,
        model,
        tokens: tokenEstimate(answer.content),
        latencyMs,
      };
      const filed = await p.file(record, latencyMs);
      const fanout = c.req.header(FANOUT_HEADER) ? [] : await fanOut(body, model);
      p.logger?.info({ query_hash: queryHash, content_hash: filed.contentHash, latency_ms: latencyMs, fanout: fanout.length }, "query served");
      return c.json({
        id: `chatcmpl-${filed.contentHash.slice(2, 26)}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: "assistant", content: answer.content }, finish_reason: "stop" }],
        usage: { prompt_tokens: filed.receipt.promptTokens, completion_tokens: filed.receipt.completionTokens, total_tokens: filed.receipt.promptTokens + filed.receipt.completionTokens },
        poq: { queryHash, contentHash: filed.contentHash, receiptHash: filed.receiptHash, receipt: filed.receipt, backendUsage: answer.usage, ...answer.metadata, fanout },
      });
    } catch (e) {
      if (e instanceof ApiError) return c.json({ error: { message: e.message, type: e.type } }, e.status);
      if ((e as Error).name === "TimeoutError") return c.json({ error: { message: "the backend did not answer in time", type: "backend_error" } }, 504);
      p.logger?.warn({ err: (e as Error).message }, "query failed");
      return c.json({ error: { message: `the node could not serve this query: ${(e as Error).message.split("\n")[0]}`, type: "server_error" } }, 503);
    }
  });
  app.get("/v1/models", (c) => c.json({ object: "list", data: p.models.map((id) => ({ id, object: "model", owned_by: "poq" })) }));

  /** Sends the query to the next `count` peers (round robin); each answer's content hash or error. */
  async function fanOut(body: Record<string, unknown>, model: string) {
    const chosen = Array.from({ length: count }, () => peers[next++ % peers.length]);
    return Promise.all(
      chosen.map(async (peer) => {
        try {
          const res = await fetch(`${peer.replace(/\/+$/, "")}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json", [FANOUT_HEADER]: "1" },
            body: JSON.stringify({ ...body, model }),
            signal: AbortSignal.timeout(p.backendTimeoutMs ?? 120_000),
          });
          const j = (await res.json()) as { poq?: { contentHash?: Hex }; error?: { message?: string } };
          return res.ok ? { peer, contentHash: j.poq?.contentHash } : { peer, error: j.error?.message ?? `HTTP ${res.status}` };
        } catch (e) {
          return { peer, error: (e as Error).message };
        }
      }),
    );
  }
  return app;
}

/** Serves the query API on `host:port` (0: a free port); resolves with the server and its port. */
export function startServe(p: ServeParameters & { port: number; host?: string }): Promise<{ server: ServerType; port: number; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const server = listen({ fetch: serveApp(p).fetch, port: p.port, hostname: p.host ?? "127.0.0.1" }, (info) =>
      resolve({ server, port: info.port, close: () => new Promise<void>((r) => server.close(() => r())) }),
    );
  });
}
