import type { LoggedOutput } from "../../data/logged";
import { InputError, PoqError } from "../../errors";
import { int, parseInput } from "../../schema";

/**
 * Optional LLM-judge dimension over an OpenAI-compatible chat-completions endpoint. Off by default: nothing here
 * runs unless a base URL and a model are configured. Each output is rated 0..10 by the model; the dimension is
 * the rating / 10. Requests time out, and failures that may pass (network errors, timeouts, HTTP 429 and 5xx,
 * malformed answers) are retried with exponential backoff; other HTTP errors fail at once.
 */
export type JudgeConfig = {
  /** Base URL of the API, e.g. "http://localhost:8000/v1" (the client POSTs to `${baseUrl}/chat/completions`). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Per-request timeout (default 20 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 2). */
  retries?: number;
  /** First backoff delay, doubled on each retry (default 500 ms). */
  retryDelayMs?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Characters of a source document sent to the judge (default 6000). */
  maxContextChars?: number;
};

export class JudgeError extends PoqError {
  override name = "JudgeError";
}

export type JudgeMessage = { role: "system" | "user"; content: string };

const SYSTEM_PROMPT =
  "You are a strict evaluator of answers produced by language models. Rate the quality of the candidate output " +
  "for the task: correctness, faithfulness to the source, relevance and fluency. Reply with a single integer " +
  "from 0 (useless or wrong) to 10 (perfect), and nothing else.";

/** The chat messages sent for one output. */
export function judgeMessages(item: LoggedOutput, options: { useReferences?: boolean; maxContextChars?: number } = {}): JudgeMessage[] {
  const parts = [`Task: ${item.task === "qa" ? "question answering" : "summarization"}`, `Query: ${item.query}`];
  if (item.context !== undefined) parts.push(`Source document:\n${item.context.slice(0, options.maxContextChars ?? 6000)}`);
  if ((options.useReferences ?? true) && item.references?.length) {
    parts.push(`Reference answers:\n${item.references.slice(0, 5).map((r) => `- ${r}`).join("\n")}`);
  }
  parts.push(`Candidate output:\n${item.output}`, "Rating (0-10):");
  return [
    { role: "system", content: SYSTEM_PROMPT },
    { role: "user", content: parts.join("\n\n") },
  ];
}

/** Rating in [0, 1] from the model's answer text, or undefined when it holds no number in 0..10. */
export function parseJudgeScore(content: string): number | undefined {
  const m = /-?\d+(?:\.\d+)?/.exec(content);
  if (!m) return undefined;
  const v = Number(m[0]);
  if (!Number.isFinite(v) || v < 0 || v > 10) return undefined;
  return v / 10;
}

export type JudgeRuntime = {
  fetch?: typeof fetch;
  /** Waits between retries; tests pass a fake. */
  sleep?: (ms: number) => Promise<void>;
};

class Retryable extends Error {}

async function requestOnce(config: JudgeConfig, body: string, runtime: JudgeRuntime): Promise<number> {
  const doFetch = runtime.fetch ?? fetch;
  const controller = new AbortController();
  const timeoutMs = config.timeoutMs ?? 20_000;
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await doFetch(`${config.baseUrl.replace(/\/+$/, "")}/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
      },
      body,
      signal: controller.signal,
    });
    text = await res.text();
  } catch (e) {
    const aborted = controller.signal.aborted;
    throw new Retryable(aborted ? `timed out after ${timeoutMs} ms` : `request failed (${(e as Error).message})`);
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 429 || res.status >= 500) throw new Retryable(`HTTP ${res.status}`);
  if (!res.ok) throw new JudgeError(`LLM judge: HTTP ${res.status} from ${config.baseUrl}`, { details: text.slice(0, 300) });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Retryable("response is not JSON");
  }
  const content = (json as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message?.content;
  if (typeof content !== "string") throw new Retryable("response has no choices[0].message.content");
  const score = parseJudgeScore(content);
  if (score === undefined) throw new Retryable(`answer holds no rating 0..10: ${JSON.stringify(content.slice(0, 80))}`);
  return score;
}

/** Rates one output; retries transient failures, then throws a JudgeError. */
export async function judgeOne(item: LoggedOutput, config: JudgeConfig, runtime: JudgeRuntime = {}, useReferences = true): Promise<number> {
  const body = JSON.stringify({
    model: config.model,
    messages: judgeMessages(item, { useReferences, maxContextChars: config.maxContextChars }),
    temperature: 0,
    max_tokens: 8,
  });
  const retries = config.retries ?? 2;
  const sleep = runtime.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last = "";
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep((config.retryDelayMs ?? 500) * 2 ** (attempt - 1));
    try {
      return await requestOnce(config, body, runtime);
    } catch (e) {
      if (!(e instanceof Retryable)) throw e;
      last = e.message;
    }
  }
  throw new JudgeError(`LLM judge failed for output "${item.id}" after ${retries + 1} attempts: ${last}`, { retryable: true });
}

/** Rates every output (in parallel up to `concurrency`); returns ratings in [0, 1] by output id. */
export async function judgeOutputs(
  items: readonly LoggedOutput[],
  config: JudgeConfig,
  runtime: JudgeRuntime & { useReferences?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      out.set(item.id, await judgeOne(item, config, runtime, runtime.useReferences ?? true));
      runtime.onProgress?.(++done, items.length);
    }
  };
  const n = Math.max(1, Math.min(config.concurrency ?? 4, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  return new Map(items.map((it) => [it.id, out.get(it.id)!]));
}

/**
 * Resolves the judge configuration once: command-line values, then the environment (`POQ_JUDGE_URL`,
 * `POQ_JUDGE_MODEL`, `POQ_JUDGE_API_KEY`, `POQ_JUDGE_TIMEOUT_MS`, `POQ_JUDGE_RETRIES`). Returns undefined (judge off)
 * unless a URL is set.
 */
export function resolveJudgeConfig(
  cli: { url?: string; model?: string; timeoutMs?: string | number; retries?: string | number; concurrency?: string | number },
  env: NodeJS.ProcessEnv = process.env,
): JudgeConfig | undefined {
  const baseUrl = cli.url ?? env.POQ_JUDGE_URL;
  if (!baseUrl) return undefined;
  const model = cli.model ?? env.POQ_JUDGE_MODEL;
  if (!model) throw new InputError("the LLM judge needs a model: pass --judge-model or set POQ_JUDGE_MODEL");
  try {
    new URL(baseUrl);
  } catch {
    throw new InputError(`invalid judge URL "${baseUrl}"`);
  }
  const whole = (name: string, v: string | number | undefined, min: number): number | undefined => (v === undefined ? undefined : parseInput(int(min), v, name, () => ""));
  return {
    baseUrl,
    model,
    apiKey: env.POQ_JUDGE_API_KEY,
    timeoutMs: whole(cli.timeoutMs !== undefined ? "--judge-timeout" : "POQ_JUDGE_TIMEOUT_MS", cli.timeoutMs ?? env.POQ_JUDGE_TIMEOUT_MS, 1),
    retries: whole(cli.retries !== undefined ? "--judge-retries" : "POQ_JUDGE_RETRIES", cli.retries ?? env.POQ_JUDGE_RETRIES, 0),
    concurrency: whole("--judge-concurrency", cli.concurrency, 1),
  };
}
