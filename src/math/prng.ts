/**
 * The project's one seeded pseudo-random generator, for the simulator, the agents' adversarial behaviours and the
 * scoring's bootstrap, folds and training (never for settlements, which use no randomness but the on-chain seed).
 * sfc32 (Chris Doty-Humphrey's small fast counting generator, 128-bit state) seeded from a string by cyrb128, so
 * independent streams are derived by name: `Rng.of(seed, "round", 3, "evaluator", 17)` gives the same numbers on
 * every machine and in every run, whatever other streams were used before. Pure: no clock, no `Math.random`.
 */

function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  private constructor(state: [number, number, number, number]) {
    [this.a, this.b, this.c, this.d] = state;
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  /** A stream named by a seed and any labels. */
  static of(seed: number | string, ...labels: (number | string)[]): Rng {
    return new Rng(cyrb128([seed, ...labels].join("/")));
  }

  nextUint32(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const r = (t + this.d) | 0;
    this.c = (this.c + r) | 0;
    return r >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const x = p[i];
      p[i] = p[j];
      p[j] = x;
    }
    return p;
  }

  /** k distinct integers from [0, n), in draw order (partial Fisher-Yates on a scratch array). */
  sample(n: number, k: number, scratch?: Int32Array): Int32Array {
    const p = scratch && scratch.length >= n ? scratch : new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    const out = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const x = p[i];
      p[i] = p[j];
      p[j] = x;
      out[i] = p[i];
    }
    return out;
  }
}

/** 32-bit FNV-1a hash of a string: stable seeds, fold keys and feature buckets derived from ids (not a generator). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Fisher-Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
