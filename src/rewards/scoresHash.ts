import { type Hex, bytesToHex, keccak256 } from "viem";
import { isRevealEntry } from "../consensus/fixedPoint";

/**
 * Packs scores as one big-endian uint16 each, in assignment order: the bytes an evaluator reveals on chain. A score
 * is 0..10000; UNAVAILABLE (65535) marks an output the evaluator could not fetch.
 */
export function packScores(scores: readonly number[]): Uint8Array {
  const out = new Uint8Array(scores.length * 2);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!isRevealEntry(s)) throw new RangeError(`score ${s} is neither an integer in 0..10000 nor UNAVAILABLE (65535)`);
    out[2 * i] = s >> 8;
    out[2 * i + 1] = s & 0xff;
  }
  return out;
}

/** keccak256 of the packed scores, as the reveal commits to it. */
export function scoresHash(scores: readonly number[]): Hex {
  return keccak256(packScores(scores));
}

export function packedScoresHex(scores: readonly number[]): Hex {
  return bytesToHex(packScores(scores));
}
