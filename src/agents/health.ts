import type { Gauge } from "prom-client";

/**
 * Reasons an agent may be idle or degraded, as `/healthz` lists them. An agent sets a reason when it stops making
 * progress for a cause an operator must fix or wait out, and clears it when the cause is gone. The list is open:
 * these are the ones the agents use; any short lower-case phrase works.
 */
export const HEALTH_REASONS = {
  noSuccessfulTick: "no successful tick",
  sourceExhausted: "source exhausted",
  notEnoughEvaluators: "not enough eligible evaluators",
  noTokensOrGas: "no tokens or gas",
  keyNotRegistered: "key not registered",
  previousRoundOpen: "previous round open",
} as const;

export type HealthReason = { reason: string; agent?: string; detail?: string; since: string };

export type HealthReport = { status: "ok" | "degraded"; reasons: HealthReason[] };

type Log = { warn: (o: object, msg: string) => void; info: (o: object, msg: string) => void };

/**
 * The idle and degraded reasons of one agent (one scope of the process's {@link HealthBoard}). `set` is cheap and
 * idempotent: call it on every tick while the cause lasts; it logs once, when the reason appears (and again only
 * after a `clear`). `detail` may change between calls (the latest is shown, not logged).
 */
export type Health = {
  set(reason: string, detail?: string): void;
  clear(reason: string): void;
  /** True while `reason` is set in this scope. */
  has(reason: string): boolean;
};

/** The process-wide board behind `/healthz`: one scope per agent, plus checks evaluated when asked. */
export type HealthBoard = Health & {
  /** A scope for one agent (`relayer 0xab…`), logging through that agent's logger. */
  scope(agent: string, logger?: Log): Health;
  /** Adds a check run at every report (the daemon's "no successful tick" for too long). */
  check(fn: () => { reason: string; detail?: string } | undefined): void;
  report(): HealthReport;
};

export function createHealth(logger: Log, gauge?: Gauge<"reason">, now: () => Date = () => new Date()): HealthBoard {
  const entries = new Map<string, HealthReason>();
  const checks: (() => { reason: string; detail?: string } | undefined)[] = [];
  const key = (agent: string | undefined, reason: string) => `${agent ?? ""}\u0000${reason}`;
  const count = (reason: string) => [...entries.values()].filter((e) => e.reason === reason).length;

  function scope(agent: string | undefined, log: Log): Health {
    return {
      set(reason, detail) {
        const k = key(agent, reason);
        const had = entries.get(k);
        entries.set(k, { reason, ...(agent ? { agent } : {}), ...(detail !== undefined ? { detail } : {}), since: had?.since ?? now().toISOString() });
        if (!had) {
          log.warn({ reason, ...(detail !== undefined ? { detail } : {}) }, `idle: ${reason}`);
          gauge?.set({ reason }, count(reason));
        }
      },
      clear(reason) {
        if (!entries.delete(key(agent, reason))) return;
        log.info({ reason }, `resumed: ${reason} cleared`);
        gauge?.set({ reason }, count(reason));
      },
      has: (reason) => entries.has(key(agent, reason)),
    };
  }

  const root = scope(undefined, logger);
  return {
    ...root,
    scope: (agent, log) => scope(agent, log ?? logger),
    check: (fn) => void checks.push(fn),
    report() {
      const at = now().toISOString();
      const extra = checks.flatMap((fn) => {
        const r = fn();
        return r ? [{ ...r, since: at }] : [];
      });
      const reasons = [...extra, ...entries.values()];
      return { status: reasons.length ? "degraded" : "ok", reasons };
    },
  };
}
