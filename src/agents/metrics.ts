import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Every step a relayer sends a transaction for (the `step` label of `poq_relayer_tx_total`). */
export const RELAYER_STEPS = [
  "registerTasks",
  "announce",
  "proposeAssignment",
  "revealScoresBatch",
  "slashNonRevealer",
  "commitSettlement",
  "revealSettlement",
  "finalize",
  "cancelRound",
  "challengeAccount",
  "answerAccount",
  "answerGoldItem",
] as const;

/** The agent kinds of `poq_agent_errors_total{agent}`. */
export const AGENT_KINDS = ["relayer", "evaluator", "inference", "funder", "watcher"] as const;

/**
 * The daemons' Prometheus metrics, declared once on one registry (prom-client) that lives in the `common` bag and
 * is served at `/metrics`. Every counter and gauge exists from start-up (at 0), labelled series included for the
 * known label values, so a dashboard or an alert never waits for the first event. Names are those of
 * docs/operations.md, each with the `poq_` prefix; Node's process metrics (`process_*`, `nodejs_*`) come too.
 */
export function createMetrics(registry: Registry = new Registry()) {
  const counter = (name: string, help: string) => new Counter({ name: `poq_${name}`, help, registers: [registry] });
  const labelled = <L extends string>(name: string, help: string, label: L, values: readonly string[]) => {
    const c = new Counter<L>({ name: `poq_${name}`, help, labelNames: [label], registers: [registry] });
    for (const v of values) c.inc({ [label]: v } as Record<L, string>, 0);
    return c;
  };
  const gauge = (name: string, help: string) => new Gauge({ name: `poq_${name}`, help, registers: [registry] });
  collectDefaultMetrics({ register: registry });
  /** Each agent's oldest round whose content it still holds pinned (by account); the gauge shows the lowest. */
  const oldestPinned = new Map<string, number>();
  return {
    registry,
    daemon: {
      ticks: new Counter({ name: "poq_ticks_total", help: "Completed daemon ticks", labelNames: ["daemon"], registers: [registry] }),
      errors: new Counter({ name: "poq_errors_total", help: "Failed daemon ticks", labelNames: ["daemon"], registers: [registry] }),
      tickSeconds: new Histogram({
        name: "poq_tick_duration_seconds",
        help: "Duration of daemon ticks",
        labelNames: ["daemon"],
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
      agentErrors: labelled("agent_errors_total", "Failed agent ticks, by agent kind", "agent", AGENT_KINDS),
      degraded: new Gauge({ name: "poq_health_degraded", help: "Agents reporting each idle or degraded reason (see /healthz)", labelNames: ["reason"], registers: [registry] }),
    },
    relayer: {
      tx: labelled("relayer_tx_total", "Relayer transactions, by step", "step", RELAYER_STEPS),
      roundCount: gauge("relayer_round_count", "Rounds opened on chain"),
      lastClosedRound: gauge("relayer_last_closed_round", "Latest closed round"),
      roundInferencePaid: gauge("relayer_round_inference_paid", "Inference pool paid by the last computed settlement (tokens)"),
      roundsRegistered: counter("relayer_rounds_registered_total", "Rounds this relayer opened"),
      roundsFinalized: counter("relayer_rounds_finalized_total", "Rounds this relayer finalized"),
      roundsCancelled: counter("relayer_rounds_cancelled_total", "Expired rounds this relayer cancelled"),
      foreignSettlements: counter("relayer_foreign_settlements_total", "Accepted settlements that differ from this relayer's"),
      challengesOpened: counter("relayer_challenges_opened_total", "Challenges this relayer opened"),
      revealsRelayed: counter("relayer_reveals_relayed_total", "Signed reveals submitted in batches"),
      revealsRejected: counter("relayer_reveals_rejected_total", "Published signed reveals that failed a check"),
      nonRevealSlashes: counter("relayer_nonreveal_slashes_total", "Non-revealers slashed"),
      outputsRequeued: counter("relayer_outputs_requeued_total", "Outputs of cancelled rounds queued again for a later batch (registrar)"),
      badOutputs: counter("relayer_bad_outputs_total", "Pending outputs skipped as bad"),
      breakerHeld: gauge("relayer_breaker_held", "1 when the last settlement this relayer computed froze low-trust slashing (circuit breaker), else 0: an alert"),
      breakerRounds: counter("relayer_breaker_rounds_total", "Rounds whose computed settlement froze low-trust slashing (circuit breaker)"),
      breakerSplit: gauge("relayer_breaker_split", "1 when the last settlement this relayer computed found two camps of evaluators (slashing limited to evaluators apart from both), else 0: an alert"),
      breakerSplitRounds: counter("relayer_breaker_split_rounds_total", "Rounds whose computed settlement found two camps of evaluators"),
    },
    evaluator: {
      commits: counter("evaluator_commits_total", "Score commitments sent"),
      missedCommits: counter("evaluator_missed_commits_total", "Rounds whose commit window closed before the scores were ready"),
      reveals: counter("evaluator_reveals_total", "Score reveals sent"),
      revealsPublished: counter("evaluator_reveals_published_total", "Signed reveals published for relayers"),
      badOutputs: counter("evaluator_bad_outputs_total", "Outputs that arrived but are not valid outputs of their task"),
      unavailableOutputs: counter("evaluator_unavailable_outputs_total", "Assigned outputs that could not be fetched"),
      assignmentMismatch: counter("evaluator_assignment_mismatch_total", "Rounds skipped because the accepted assignment could not be recomputed"),
    },
    inference: {
      outputs: counter("inference_outputs_total", "Outputs served into the store"),
    },
    pins: {
      unpinned: counter("unpinned_cids_total", "CIDs unpinned past the recomputation horizon"),
      oldestPinned,
      oldestPinnedRound: new Gauge({
        name: "poq_oldest_pinned_round",
        help: "Oldest round whose content an agent of this process still keeps pinned (0: none)",
        registers: [registry],
        collect() {
          const rounds = [...oldestPinned.values()].filter((r) => r > 0);
          this.set(rounds.length ? Math.min(...rounds) : 0);
        },
      }),
    },
    funder: {
      roundsFunded: counter("funder_rounds_funded_total", "Rounds funded"),
    },
    watcher: {
      challenges: counter("watcher_challenges_total", "Challenges opened for this account's own allotment"),
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
