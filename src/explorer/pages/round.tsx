import type { Child, FC } from "hono/jsx";
import type { RoundPage, RoundsView, TaskPage } from "../api";
import type { BlockRow, TxRow } from "../chainApi";
import { qualityText, shortHex } from "../format";
import { amountFacts, EventsSection, SlashesSection, Addr, Amt, Badge, TableSection, Overview, BlockLink, Countdown, Facts, Hash, Layout } from "./components";
import { Pager, PhaseBadge, Quality, RoundLink, Section, StatusBadge, Table, Time, Trust, TxLink, YesNo, type PageCtx } from "./components";

/** The home page: every round, and the latest blocks and transactions. */
export const RoundsPage: FC<{ c: PageCtx; v: RoundsView; blocks: BlockRow[]; txs: TxRow[] }> = ({ c, v, blocks, txs }) => (
  <Layout c={c} title="Rounds">
    <h1>Rounds</h1>
    <p class="lead">
      {`${v.total} round${v.total === 1 ? "" : "s"}. In each round relayers register tasks, evaluators commit and reveal scores, relayers settle, rewards become claimable, and evaluators who stay silent or keep a low trust are slashed.`}
    </p>
    <section id="rounds-section">
      <Table
        id="rounds"
        head={["Round", "Phase", "Ends", "Tasks", "Commits / reveals", "Inference pool", "Evaluator pool", "Inference paid", "Evaluator paid", "Slashed", "Mean quality", "Registered"]}
        empty="No rounds yet."
        rows={v.rounds.map((r) => [
          <span data-field="round">
            <RoundLink id={r.id} />
          </span>,
          <PhaseBadge phase={r.phase} />,
          r.deadline ? <Countdown d={r.deadline} /> : <span class="muted">—</span>,
          <span data-field="tasks">{String(r.tasks)}</span>,
          `${r.commits} / ${r.reveals}`,
          <Amt a={r.inferencePool} c={c} field="inference-pool" />,
          <Amt a={r.evaluatorPool} c={c} field="evaluator-pool" />,
          <Amt a={r.inferencePaid} c={c} field="inference-paid" />,
          <Amt a={r.evaluatorPaid} c={c} field="evaluator-paid" />,
          <>
            <Amt a={r.slashedTotal} c={c} field="slashed-total" />
            {r.slashCount ? <span class="muted">{` (${r.slashCount})`}</span> : null}
          </>,
          <span data-field="mean-quality">
            <Quality q={r.meanConsensus} />
          </span>,
          <>
            <BlockLink n={r.registeredBlock} />
            <br />
            <Time ts={r.registeredAt} />
          </>,
        ])}
      />
      <Pager base="/" page={v.page} pages={v.pages} />
    </section>
    <div class="two">
      <Section title="Latest blocks" id="latest-blocks">
        <BlocksTable blocks={blocks} id="latest-blocks-table" />
        <p>
          <a href="/blocks">All blocks →</a>
        </p>
      </Section>
      <Section title="Latest transactions" id="latest-txs">
        <TxsTable c={c} txs={txs} id="latest-txs-table" compact />
        <p>
          <a href="/txs">All transactions →</a>
        </p>
      </Section>
    </div>
    <Section title="Contracts" id="contracts">
      <Facts items={c.status.contracts.map((x) => [x.label, <Addr a={x.address} c={c} full />])} />
    </Section>
  </Layout>
);

export const BlocksTable: FC<{ blocks: BlockRow[]; id: string }> = ({ blocks, id }) => (
  <Table
    id={id}
    head={["Block", "Time", "Transactions (project)", "Gas used", "Base fee"]}
    empty="No blocks indexed yet."
    rows={blocks.map((b) => [
      <span data-block={String(b.number)}>
        <BlockLink n={b.number} />
      </span>,
      <Time ts={b.time} />,
      `${b.transactions} (${b.projectTransactions})`,
      b.gasUsed,
      b.baseFee ? `${b.baseFee.gwei} gwei` : "—",
    ])}
  />
);

export const TxsTable: FC<{ c: PageCtx; txs: TxRow[]; id: string; compact?: boolean }> = ({ c, txs, id, compact }) => (
  <Table
    id={id}
    head={compact ? ["Transaction", "Call", "From", "Status", "Block"] : ["Transaction", "Block", "Time", "From", "To", "Call", "Status", "Value", "Fee"]}
    empty="No transactions indexed yet."
    rows={txs.map((t) =>
      compact
        ? [
            <TxLink h={t.hash} />,
            <code class="fn">{t.function ?? "—"}</code>,
            t.from.kind === "address" ? <Addr a={t.from.address} c={c} /> : "",
            <StatusBadge status={t.status} />,
            <BlockLink n={t.block} />,
          ]
        : [
            <span data-tx={t.hash}>
              <TxLink h={t.hash} />
            </span>,
            <BlockLink n={t.block} />,
            <Time ts={t.time} />,
            t.from.kind === "address" ? <Addr a={t.from.address} c={c} /> : "",
            t.to?.kind === "address" ? <Addr a={t.to.address} c={c} /> : "—",
            <code class="fn">{t.function ?? "—"}</code>,
            <StatusBadge status={t.status} />,
            `${t.value.ether} ETH`,
            <span data-field="fee" data-wei={t.fee.wei}>{`${t.fee.ether} ETH`}</span>,
          ],
    )}
  />
);

const ContentNote: FC<{ p: RoundPage }> = ({ p }) => {
  const c = p.content;
  if (!c.storeConfigured)
    return (
      <p class="note" id="content-note">
        No content store configured (<code>--store</code>): per-task consensus, trust, rewards and claim proofs come from the relayers' published settlement payload and are not shown. Scores, totals
        and slashes below come from the chain alone.
      </p>
    );
  const parts: string[] = [];
  if (c.payload === "missing") parts.push("the settlement payload is not in the content store yet");
  if (c.manifest === "missing") parts.push("the batch manifest is not in the content store");
  if (c.note) parts.push(c.note);
  return parts.length ? (
    <p class="note" id="content-note">
      {`${parts.join("; ")}.`}
    </p>
  ) : null;
};

/** Tasks per page of the round page (the JSON API lists them all). */
export const TASKS_PER_PAGE = 100;

export const RoundPageView: FC<{ c: PageCtx; p: RoundPage; taskPage: number }> = ({ c, p, taskPage }) => {
  const r = p.round;
  const totals = amountFacts(c, [
    ["Inference pool", r.inferencePool, "inference-pool"],
    ["Evaluator pool", r.evaluatorPool, "evaluator-pool"],
    ["Inference paid", r.inferencePaid, "inference-paid"],
    ["Evaluator paid", r.evaluatorPaid, "evaluator-paid"],
    ["Cumulative total (all rounds)", r.cumulativeTotal, "cumulative-total"],
    ["Slashed", r.slashedTotal, "slashed-total"],
  ]);
  const evalCount = new Set(p.tasks.flatMap((t) => t.scores.map((s) => s.evaluator))).size;
  const taskPages = Math.max(1, Math.ceil(p.tasks.length / TASKS_PER_PAGE));
  const shownTasks = p.tasks.slice((taskPage - 1) * TASKS_PER_PAGE, taskPage * TASKS_PER_PAGE);
  return (
    <Layout c={c} title={`Round ${r.id}`}>
      <h1>
        {`Round ${r.id} `}
        <PhaseBadge phase={r.phase} />
      </h1>
      {r.deadline ? (
        <p class="deadline" id="deadline">
          <Countdown d={r.deadline} />
        </p>
      ) : null}
      <ContentNote p={p} />
      <Overview
        items={[
          [
            "Phase",
            <>
              <PhaseBadge phase={r.phase} /> <span class="muted">{`as of block ${r.asOf.block ?? "—"}, `}</span>
              <Time ts={r.asOf.time} />
            </>,
          ],
          [
            "Tasks",
            <>
              <span data-field="tasks">{String(r.tasks)}</span>
              {` (k = ${r.k} evaluators per task)`}
            </>,
          ],
          [
            "Registered",
            <>
              block <BlockLink n={r.registeredBlock} /> · <Time ts={r.registeredAt} /> · by <Addr a={r.relayer} c={c} /> · <TxLink h={r.registeredTx} />
            </>,
          ],
          ["Settlement attempt", `${r.attempt}${r.vetoes ? ` · ${r.vetoes} veto${r.vetoes === 1 ? "" : "es"}` : ""}`],
          ["Parameter version", String(r.paramsVersion)],
          ["Task root", <Hash h={r.taskRoot} />],
          ["Seed", <Hash h={r.seed} />],
          [
            "Assignment root",
            <>
              <Hash h={r.assignmentRoot} />
              {r.assignment === "verified" ? <Badge text="recomputed and verified" kind="ok" /> : r.assignment === "mismatch" ? <Badge text="recomputation differs" kind="warn" /> : null}
            </>,
          ],
          ["Accepted settlement", <Hash h={r.settlementHash} />],
          ["Rewards root", <Hash h={r.rewardsRoot} />],
          ["Trust root", <Hash h={r.trustRoot} />],
          ["Inputs hash", <Hash h={r.inputsHash} />],
        ]}
      />
      <Section title="Timeline" id="timeline-section">
        <Table
          id="timeline"
          head={["Phase", "Attempt", "Started", "First block", "Ends / ended", "Opened by"]}
          rows={p.timeline.map((t) => [
            <PhaseBadge phase={t.phase} />,
            String(t.attempt),
            <Time ts={t.startTime} />,
            <BlockLink n={t.startBlock} />,
            <Time ts={t.endTime} />,
            t.tx ? (
              <>
                {`${t.via} `}
                <TxLink h={t.tx} />
              </>
            ) : (
              t.via
            ),
          ])}
        />
      </Section>
      <Section title="Totals" id="totals-section">
        <Facts
          id="totals"
          items={[
            ...totals,
            [
              "Mean consensus quality (0–10)",
              <span data-field="mean-quality">
                <Quality q={r.meanConsensus} />
              </span>,
            ],
          ]}
        />
      </Section>
      <TableSection
        name="funding"
        title="Funding"
        head={["Funder", "Inference", "Evaluator", "Block", "Transaction"]}
        empty="Not funded."
        rows={p.funding.map((f) => [<Addr a={f.funder} c={c} />, <Amt a={f.inference} c={c} />, <Amt a={f.evaluator} c={c} />, <BlockLink n={f.block} />, <TxLink h={f.tx} />])}
      />
      <TableSection
        name="settlements"
        title="Settlement hashes per relayer"
        head={["Relayer", "Attempt", "Commitment", "Revealed settlement hash", "Status", "Commit", "Reveal"]}
        empty="No settlement committed yet."
        rows={p.settlements.map((x) => [
          <Addr a={x.relayer} c={c} />,
          String(x.attempt),
          <code class="hash" title={x.commitment}>
            {shortHex(x.commitment, 10, 6)}
          </code>,
          x.settlementHash ? (
            <code class="hash" data-field="settlement-hash">
              {x.settlementHash}
            </code>
          ) : (
            <span class="muted">not revealed</span>
          ),
          x.final ? <Badge text="finalized" kind="ok" /> : x.accepted ? <Badge text="accepted" kind="ok" /> : x.settlementHash ? <Badge text="revealed" /> : <Badge text="committed" />,
          <TxLink h={x.commitTx} />,
          <TxLink h={x.revealTx} />,
        ])}
      />
      {p.vetoes.length ? (
        <Section title="Vetoes" id="vetoes-section">
          <Table
            id="vetoes"
            head={["Guardian", "Settlement", "Kind", "New attempt", "Time", "Transaction"]}
            rows={p.vetoes.map((v) => [
              <Addr a={v.guardian} c={c} />,
              <Hash h={v.settlementHash} />,
              v.reset ? "reset of an attempt without quorum" : "veto of the accepted settlement",
              String(v.newAttempt),
              <Time ts={v.time} />,
              <TxLink h={v.tx} />,
            ])}
          />
        </Section>
      ) : null}
      <Section title="Evaluators" id="evaluators-section">
        <Table
          id="evaluators"
          head={["Evaluator", "Tasks", "Committed", "Revealed", "Mean score (0–10)", "Trust after (0–1)", "Reward", "Slashed"]}
          empty="No evaluators yet."
          rows={p.evaluators.map((e) => [
            <span data-evaluator={e.address}>
              <Addr a={e.address} c={c} />
            </span>,
            e.assignedTasks === null ? "—" : String(e.assignedTasks),
            <YesNo b={e.committed} />,
            <YesNo b={e.revealed} />,
            <Quality q={e.meanScore} />,
            <Trust ppm={e.trustPpm} />,
            <Amt a={e.reward} c={c} />,
            e.slash ? (
              <>
                <Amt a={e.slash.amount} c={c} /> <span class="reason">{`(${e.slash.reasonText})`}</span>
              </>
            ) : (
              "—"
            ),
          ])}
        />
      </Section>
      <Section title="Rewards" id="rewards-section">
        <Table
          id="rewards"
          head={["Account", "Role", "Reward this round"]}
          empty={p.content.payload === "loaded" ? "No rewards." : "Rewards per account are in the settlement payload, which is not available."}
          rows={p.rewards.map((x) => [
            <span data-account={x.account}>
              <Addr a={x.account} c={c} full />
            </span>,
            x.role,
            <Amt a={x.amount} c={c} field="reward" />,
          ])}
        />
      </Section>
      <SlashesSection c={c} by="evaluator" empty="No slashes executed." slashes={p.slashes}>
        {p.proposedSlashes.length ? (
          <>
            <h3>Slash list of the accepted settlement</h3>
            <Table id="proposed-slashes" head={["Evaluator", "Reason", "Outcome"]} rows={p.proposedSlashes.map((x) => [<Addr a={x.evaluator} c={c} full />, x.reasonText, x.outcome])} />
          </>
        ) : null}
      </SlashesSection>
      <Section title="Tasks: consensus and evaluator scores (quality 0–10)" id="tasks-section">
        {p.tasks.length ? (
          <>
            <div class="scroll">
              <table id="tasks" class="dense">
                <thead>
                  <tr>
                    <th>Task</th>
                    <th>Inference node</th>
                    <th>Model</th>
                    <th>Cost units</th>
                    <th>Consensus</th>
                    <th>Evaluator scores</th>
                  </tr>
                </thead>
                <tbody>
                  {shownTasks.map((t) => (
                    <tr data-task={String(t.index)}>
                      <td>
                        <a href={`/round/${r.id}/task/${t.index}`}>{String(t.index)}</a>
                      </td>
                      <td>{t.node ? <Addr a={t.node} c={c} /> : "—"}</td>
                      <td class="model">{t.model ?? "—"}</td>
                      <td>{t.costUnits ?? "—"}</td>
                      <td>
                        <Quality q={t.consensus} />
                        {t.bad ? (
                          <span class="badge badge-warn" title={t.bad}>
                            bad output
                          </span>
                        ) : null}
                      </td>
                      <td class="scores">
                        {t.scores.map((s) => (
                          <a class="chip" href={`/address/${s.evaluator}`}>{`${s.evaluator.slice(0, 6)} ${qualityText(s.score)}`}</a>
                        ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p class="muted">{`Tasks ${shownTasks[0]?.index ?? 0}–${shownTasks[shownTasks.length - 1]?.index ?? 0} of ${p.tasks.length} (${evalCount} evaluators with revealed scores; every task in the JSON API).`}</p>
            {taskPages > 1 ? (
              <nav class="pager" id="tasks-pager">
                {taskPage > 1 ? <a href={`/round/${r.id}?tasks=${taskPage - 1}#tasks-section`}>← previous tasks</a> : null} {`page ${taskPage} of ${taskPages}`}{" "}
                {taskPage < taskPages ? <a href={`/round/${r.id}?tasks=${taskPage + 1}#tasks-section`}>next tasks →</a> : null}
              </nav>
            ) : null}
          </>
        ) : (
          <p class="muted" id="tasks">
            {r.assignment === "mismatch"
              ? "Per-task scores need the assignment, whose recomputation differs from the accepted root."
              : "No per-task data yet (scores appear after reveals; consensus with the settlement payload)."}
          </p>
        )}
      </Section>
      <EventsSection c={c} events={p.events} />
    </Layout>
  );
};

export const TaskPageView: FC<{ c: PageCtx; t: TaskPage }> = ({ c, t }) => (
  <Layout c={c} title={`Round ${t.round} task ${t.index}`}>
    <h1>
      <RoundLink id={t.round} />
      {` task ${t.index}`}
    </h1>
    <nav class="pager">
      {t.index > 0 ? <a href={`/round/${t.round}/task/${t.index - 1}`}>← task {String(t.index - 1)}</a> : null} {`task ${t.index} of ${t.tasks}`}{" "}
      {t.index + 1 < t.tasks ? <a href={`/round/${t.round}/task/${t.index + 1}`}>task {String(t.index + 1)} →</a> : null}
    </nav>
    <Section title="Task" id="task-section">
      <Facts
        id="task"
        items={[
          ["Inference node", <Addr a={t.node} c={c} full />],
          ["Model", <span class="model">{t.model ?? "—"}</span>],
          ["Cost units", t.costUnits ?? "—"],
          ["Content hash", <Hash h={t.contentHash} />],
          ["Consensus quality (0–10)", <Quality q={t.consensus} />],
          ...(t.bad ? ([["Bad output", <span class="reason">{t.bad}</span>]] as [string, Child][]) : []),
        ]}
      />
    </Section>
    <Section title="Output" id="output-section">
      {t.output ? (
        <>
          <h3>Query</h3>
          <pre class="text" id="query">
            {t.output.query}
          </pre>
          <h3>Output</h3>
          <pre class="text" id="output">
            {t.output.output}
          </pre>
        </>
      ) : (
        <p class="note" id="output">
          {t.note ?? "not available"}
        </p>
      )}
    </Section>
    <Section title="Evaluator scores (quality 0–10)" id="scores-section">
      <Table id="task-scores" head={["Evaluator", "Score"]} empty="No revealed scores for this task." rows={t.scores.map((s) => [<Addr a={s.evaluator} c={c} />, <Quality q={s.score} />])} />
    </Section>
  </Layout>
);
