/**
 * The registrar's record of registered outputs, in its checkpoint: for each output (`registered:<node>:<hash>`,
 * lowercase, keyed by the serving node as the pending queue is) the ids of the registered rounds that list it, as a
 * JSON array of decimal strings (ids, not task roots: a cancelled round's batch registered again has the same root).
 * An output listed by any round that is not cancelled never enters another batch: that round may pay it (or has). An
 * output whose every listing round was cancelled (expired, or cancelled before its seed) was paid by none, so it goes
 * back to the queue and is paid at most once. The value `"1"`, written by earlier versions, names no round: such an
 * output is never released.
 */
export const REGISTERED = "registered:";

/** What this module needs of the checkpoint. */
export type RegisteredStore = { get(key: string): string | undefined };
export type Output = { node: string; contentHash: string };
export type Row = readonly [string, string];

export function outputKey(node: string, hash: string): string {
  return `${node.toLowerCase()}:${hash.toLowerCase()}`;
}

/** The round ids listing an output; `undefined` for an output never registered, `null` for the legacy value (unknown rounds). */
function roundsOf(ck: RegisteredStore, o: Output): string[] | null | undefined {
  const v = ck.get(REGISTERED + outputKey(o.node, o.contentHash));
  if (v === undefined) return undefined;
  if (!v.startsWith("[")) return null;
  return JSON.parse(v) as string[];
}

/** Whether some round that is not cancelled lists the output (so it must never enter another batch). */
export function isRegistered(ck: RegisteredStore, node: string, hash: string): boolean {
  const rounds = roundsOf(ck, { node, contentHash: hash });
  return rounds === null || (rounds !== undefined && rounds.length > 0);
}

/** The rows recording that round `roundId` lists `outputs` (merged with the rounds recorded before). */
export function registerRows(ck: RegisteredStore, roundId: bigint, outputs: readonly Output[]): Row[] {
  const r = roundId.toString();
  const rows = new Map<string, string>();
  for (const o of outputs) {
    const key = REGISTERED + outputKey(o.node, o.contentHash);
    if (rows.has(key)) continue;
    const rounds = roundsOf(ck, o);
    if (rounds === null) rows.set(key, ck.get(key)!);
    else rows.set(key, JSON.stringify([...new Set([...(rounds ?? []), r])].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))));
  }
  return [...rows];
}

/**
 * Round `roundId` was cancelled: the rows taking it off its outputs' records, and the outputs no other round lists any
 * more (to be queued again). Idempotent: done again after a crash, it gives the same outputs, so a release whose rows
 * were written but whose outputs were not queued yet is completed.
 */
export function releaseRows(ck: RegisteredStore, roundId: bigint, outputs: readonly Output[]): { rows: Row[]; free: Output[] } {
  const r = roundId.toString();
  const rows: Row[] = [];
  const free: Output[] = [];
  const seen = new Set<string>();
  for (const o of outputs) {
    const key = REGISTERED + outputKey(o.node, o.contentHash);
    if (seen.has(key)) continue;
    seen.add(key);
    const rounds = roundsOf(ck, o);
    if (rounds === null || rounds === undefined) continue; // unknown rounds, or never recorded: never released
    const left = rounds.filter((x) => x !== r);
    if (left.length !== rounds.length) rows.push([key, JSON.stringify(left)]);
    if (left.length === 0) free.push(o);
  }
  return { rows, free };
}
