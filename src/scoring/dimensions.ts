/** The built-in quality dimensions, in report order. Each maps an output to [0, 1]. */
export const DIMENSIONS = ["modelPrior", "costPrior", "structure", "semantic", "alignment", "agreement"] as const;
export type DimensionName = (typeof DIMENSIONS)[number];

/**
 * Dimensions computed only on request: the learned judge needs its weights (trained on labelled history), the
 * LLM judge a network endpoint.
 */
export const EXTRA_DIMENSIONS = ["learnedJudge", "judge"] as const;
export type ExtraDimensionName = (typeof EXTRA_DIMENSIONS)[number];

export type AnyDimension = DimensionName | ExtraDimensionName;
export const ALL_DIMENSIONS: readonly AnyDimension[] = [...DIMENSIONS, ...EXTRA_DIMENSIONS];

export function isDimension(name: string): name is AnyDimension {
  return (ALL_DIMENSIONS as readonly string[]).includes(name);
}

/** Per-dimension values of a batch, one array per computed dimension. */
export type DimensionTable = Partial<Record<AnyDimension, Float64Array>>;

/** Dimension names present in a table, in canonical order. */
export function presentDimensions(table: DimensionTable): AnyDimension[] {
  return ALL_DIMENSIONS.filter((d) => table[d] !== undefined);
}
