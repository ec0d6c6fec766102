import { PPM } from "../consensus/fixedPoint";

/**
 * Cost-aware inference weights, one per task: R = alpha * quality - beta * cost, floored at 0, where
 * quality = consensus / 10000 and cost = costUnits / (largest costUnits among the round's paid tasks), both as ppm.
 * The result is in ppm^2 units (at most 1e12, exact). Gold tasks and tasks without a consensus earn nothing.
 * The inference pool is then split in proportion to these weights (splitPool).
 */
export function inferenceWeights(
  consensus: Int32Array,
  gold: Int32Array,
  costUnits: readonly bigint[],
  alphaPpm: number,
  betaPpm: number,
): number[] {
  const n = consensus.length;
  let maxCost = 0n;
  for (let t = 0; t < n; t++) if (consensus[t] >= 0 && gold[t] < 0 && costUnits[t] > maxCost) maxCost = costUnits[t];
  const out = new Array<number>(n).fill(0);
  for (let t = 0; t < n; t++) {
    if (consensus[t] < 0 || gold[t] >= 0) continue;
    const qualityPpm = consensus[t] * 100;
    const costPpm = maxCost > 0n ? Number((costUnits[t] * BigInt(PPM)) / maxCost) : 0;
    const r = alphaPpm * qualityPpm - betaPpm * costPpm;
    out[t] = r > 0 ? r : 0;
  }
  return out;
}
