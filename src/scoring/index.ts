/**
 * Multi-dimensional quality scoring (Proof of Quality): dimensions, composite, calibration and audit.
 * Pure and deterministic: no file I/O, no network, no clock. Files, the LLM judge's network client and timing live
 * in `./cli/` (the command layer).
 */
export { DIMENSIONS, EXTRA_DIMENSIONS, ALL_DIMENSIONS, type DimensionName, type ExtraDimensionName, type AnyDimension } from "./dimensions";
export {
  defaultProfile,
  parseProfile,
  serializeProfile,
  validateProfile,
  DEFAULT_WEIGHTS,
  type QualityProfile,
  type TaskProfile,
  type DimensionAudit,
  type Metric,
  type Scale,
  type WeightMethod,
  type Weights,
} from "./profile";
export { calibrate, DEFAULT_SEED, type CalibrateOptions } from "./calibrate";
export { scoreOutputs, computeDimensions, type ScoredOutput, type ScoreOptions } from "./score";
export { auditTrainEval, auditCrossValidated, type TaskAuditResult, type AuditOptions } from "./audit";
export { fitModelPrior, modelPrior, type ModelPriorTable } from "./modelPrior";
export {
  trainJudge,
  judgeColumn,
  judgeFeatures,
  judgeScore,
  judgeWeightsHash,
  parseJudgeWeights,
  serializeJudgeWeights,
  type JudgeWeights,
} from "./learnedJudge";
export { fitCascade, runCascade, CASCADE_STAGES, type Cascade, type CascadeRun } from "./cascade";
export { shiftSplits, pairedBootstrap, type ShiftSplit } from "./shift";
export { runShiftSplits, calibrators, type ShiftResult } from "./shiftAudit";
