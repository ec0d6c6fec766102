import type { LoggedOutput } from "../data/logged";
import { Vocabulary, type TokenizedText } from "./text";

/** One output with its texts tokenised once, and the indices of the other outputs of its query in the batch. */
export type PreparedItem = {
  item: LoggedOutput;
  out: TokenizedText;
  query: TokenizedText;
  /** Empty when references are absent or disabled. */
  refs: TokenizedText[];
  context?: TokenizedText;
  /** Indices (into `Batch.items`) of the other outputs that share this output's queryId. */
  peers: number[];
  /** Distinct content ids of the output that are not in the query: what the output adds. */
  novel: Int32Array;
  /** The tokens of `novel`, parallel to it. */
  novelTokens: string[];
  /** Distinct ids of the output (all tokens). */
  idSet: Set<number>;
};

export type Batch = {
  vocab: Vocabulary;
  items: PreparedItem[];
  useReferences: boolean;
};

export type PrepareBatchOptions = {
  /** Use the `references` field (default true). False scores as if no output had references. */
  useReferences?: boolean;
};

/** Tokenises a batch once; every dimension reads the result. Depends only on the batch. */
export function prepareBatch(items: readonly LoggedOutput[], options: PrepareBatchOptions = {}): Batch {
  const useReferences = options.useReferences ?? true;
  const vocab = new Vocabulary();
  const groups = new Map<string, number[]>();
  items.forEach((it, i) => {
    const key = `${it.task}\u0000${it.queryId}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const prepared = items.map((item, i): PreparedItem => {
    const out = vocab.text(item.output);
    const query = vocab.text(item.query);
    const refs = useReferences && item.references ? item.references.map((r) => vocab.text(r)) : [];
    const context = item.context !== undefined ? vocab.text(item.context) : undefined;
    const querySet = new Set(query.ids);
    const novelSet = new Set<number>();
    const novelTokens: string[] = [];
    out.contentIds.forEach((id, k) => {
      if (querySet.has(id) || novelSet.has(id)) return;
      novelSet.add(id);
      novelTokens.push(out.contentTokens[k]);
    });
    const peers = (groups.get(`${item.task}\u0000${item.queryId}`) ?? []).filter((j) => j !== i);
    return { item, out, query, refs, context, peers, novel: Int32Array.from(novelSet), novelTokens, idSet: new Set(out.ids) };
  });
  return { vocab, items: prepared, useReferences };
}
