import { FileFormatError } from "../errors";

/** One logged output with its human quality judgment (format: shared data README). */
export type LoggedOutput = {
  id: string;
  task: TaskType;
  queryId: string;
  query: string;
  context?: string;
  references?: string[];
  output: string;
  model: string;
  /** Summaries: mean expert rating in [1, 5]. QA: 1 correct, 0 incorrect. Absent for unlabelled production outputs. */
  label?: number;
  labelDetail?: Record<string, number>;
  /** Optional cost fields where known. */
  tokens?: number;
  latencyMs?: number;
  price?: number;
};

export const TASK_TYPES = ["qa", "summarization"] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** Label range per task type. */
export const LABEL_RANGE: Record<TaskType, [number, number]> = { qa: [0, 1], summarization: [1, 5] };

export type ParseOptions = {
  /** Require a label on every line (audit and simulation need one). Default true. */
  requireLabel?: boolean;
};

function fail(file: string, line: number, problem: string): never {
  throw new FileFormatError(file, problem, line);
}

function optNumber(file: string, line: number, obj: Record<string, unknown>, key: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail(file, line, `field "${key}" must be a non-negative number`);
  return v;
}

/** Validates one parsed JSON object; `file` and `line` only name the place in errors. */
export function parseLoggedOutput(raw: unknown, file: string, line: number, options: ParseOptions = {}): LoggedOutput {
  const requireLabel = options.requireLabel ?? true;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(file, line, "expected a JSON object");
  const o = raw as Record<string, unknown>;
  for (const key of ["id", "task", "queryId", "query", "output", "model"]) {
    if (typeof o[key] !== "string") fail(file, line, `field "${key}" must be a string`);
  }
  const task = o.task as string;
  if (!(TASK_TYPES as readonly string[]).includes(task)) {
    fail(file, line, `unknown task "${task}" (expected one of: ${TASK_TYPES.join(", ")})`);
  }
  if (o.context !== undefined && typeof o.context !== "string") fail(file, line, `field "context" must be a string`);
  if (o.references !== undefined) {
    if (!Array.isArray(o.references) || o.references.some((r) => typeof r !== "string")) {
      fail(file, line, `field "references" must be an array of strings`);
    }
  }
  let label: number | undefined;
  if (o.label === undefined || o.label === null) {
    if (requireLabel) fail(file, line, `missing "label"`);
  } else {
    if (typeof o.label !== "number" || !Number.isFinite(o.label)) fail(file, line, `field "label" must be a number`);
    const [lo, hi] = LABEL_RANGE[task as TaskType];
    if (o.label < lo || o.label > hi) fail(file, line, `label ${o.label} out of range [${lo}, ${hi}] for task "${task}"`);
    label = o.label;
  }
  let labelDetail: Record<string, number> | undefined;
  if (o.labelDetail !== undefined) {
    if (typeof o.labelDetail !== "object" || o.labelDetail === null) fail(file, line, `field "labelDetail" must be an object`);
    labelDetail = o.labelDetail as Record<string, number>;
  }
  return {
    id: o.id as string,
    task: task as TaskType,
    queryId: o.queryId as string,
    query: o.query as string,
    context: o.context as string | undefined,
    references: o.references as string[] | undefined,
    output: o.output as string,
    model: o.model as string,
    label,
    labelDetail,
    tokens: optNumber(file, line, o, "tokens"),
    latencyMs: optNumber(file, line, o, "latencyMs"),
    price: optNumber(file, line, o, "price"),
  };
}

/** Parses JSONL text. Blank lines are skipped; every other line must be a valid logged output. */
export function parseLoggedOutputs(text: string, file = "<input>", options: ParseOptions = {}): LoggedOutput[] {
  const out: LoggedOutput[] = [];
  const ids = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      fail(file, i + 1, `malformed JSON (${(e as Error).message})`);
    }
    const item = parseLoggedOutput(raw, file, i + 1, options);
    if (ids.has(item.id)) fail(file, i + 1, `duplicate id "${item.id}"`);
    ids.add(item.id);
    out.push(item);
  }
  if (out.length === 0) throw new FileFormatError(file, "no outputs (the file is empty)");
  return out;
}


/** Splits outputs by task type, keeping file order inside each group. */
export function groupByTask(items: LoggedOutput[]): Map<TaskType, LoggedOutput[]> {
  const m = new Map<TaskType, LoggedOutput[]>();
  for (const it of items) {
    const g = m.get(it.task);
    if (g) g.push(it);
    else m.set(it.task, [it]);
  }
  return m;
}
