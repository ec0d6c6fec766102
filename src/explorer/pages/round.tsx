import type { Child, FC } from "hono/jsx";
import type { Deadline, RoundPage, RoundsView, TaskPage } from "../api";
import type { BlockRow, TxRow } from "../chainApi";
import { campsText, contentSourceText, qualityText, shortHex, trustText } from "../format";
import { ChallengesTable } from "./protocol";
import { amountFacts, EventsSection, SlashesSection, Addr, Amt, Badge, TableSection, Overview, BlockLink, Countdown, Facts, Hash, Layout } from "./components";
import { Pager, PhaseBadge, Quality, RoundLink, Section, StatusBadge, Table, Time, Trust, TxLink, Val, YesNo, type PageCtx } from "./components";

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
          <>
            <PhaseBadge phase={r.phase} />
            {r.cancelledPhase ? <span class="muted">{` (${r.cancelledPhase})`}</span> : null}
            {r.openChallenges ? <span class="muted">{` · ${r.openChallenges} open challenge${r.openChallenges === 1 ? "" : "s"}`}</span> : null}
          </>,
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
  const waiting = c.backend ? `: not delivered by any peer of the explorer's ${c.backend} node yet (tried again)` : "";
  if (c.payload === "missing") parts.push(`the settlement payload is not in the content store yet${waiting}`);
  if (c.manifest === "missing") parts.push(`the batch manifest is not in the content store${waiting}`);
  if (c.goldOpening === "missing") parts.push(`the registrar's gold opening is not in the content store yet${waiting}`);
  if (c.note) parts.push(c.note);
  const fetched = contentSourceText(c.backend, c.source);
  return parts.length || fetched ? (
    <p class="note" id="content-note">
      {parts.length ? `${parts.join("; ")}.` : ""}
      {fetched ? <span id="content-source">{`${parts.length ? " " : ""}${fetched}`}</span> : null}
    </p>
  ) : null;
};


/** Tasks per page of the round page (the JSON API lists them all). */
export const TASKS_PER_PAGE = 100;

/** Every open deadline of a round, one countdown each (server-rendered; the script refreshes them). */
export const Deadlines: FC<{ deadlines: Deadline[]; id?: string }> = ({ deadlines, id }) =>
  deadlines.length ? (
    <ul class="deadlines" id={id ?? "deadlines"}>
      {deadlines.map((d) => (
        <li data-deadline-key={d.key}>
          <Countdown d={d} />
        </li>
      ))}
    </ul>
  ) : null;

const ATTEMPT_KIND: Record<string, string> = { accepted: "ok", finalized: "ok", vetoed: "warn", rejected: "bad", "no quorum": "warn", open: "phase-settle" };

export const RoundPageView: FC<{ c: PageCtx; p: RoundPage; taskPage: number }> = ({ c, p, taskPage }) => {
  const r = p.round;
  const totals = amountFacts(c, [
    ["Inference pool", r.inferencePool, "inference-pool"],
    ["Evaluator pool", r.evaluatorPool, "evaluator-pool"],
    ["Inference paid", r.inferencePaid, "inference-paid"],
    ["Evaluator paid", r.evaluatorPaid, "evaluator-paid"],
    ["Cumulative total (all rounds)", r.cumulativeTotal, "cumulative-total"],
    ["Slashed (all reasons)", r.slashedTotal, "slashed-total"],
    ["Slashed for low trust at finalization", r.lowTrustSlashed, "low-trust-slashed"],
    ["Relayer bonds seized", r.seizedTotal, "seized-total"],
    ["Refunded to funders", r.refunded, "refunded"],
  ]);
  const evalCount = new Set(p.tasks.flatMap((t) => t.scores.map((s) => s.evaluator))).size;
  const taskPages = Math.max(1, Math.ceil(p.tasks.length / TASKS_PER_PAGE));
  const shownTasks = p.tasks.slice((taskPage - 1) * TASKS_PER_PAGE, taskPage * TASKS_PER_PAGE);
  const g = p.gold;
  const hasGold = !/^0x0{64}$/.test(g.commitment);
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
      {p.deadlines.length > 1 ? <Deadlines deadlines={p.deadlines.slice(1)} /> : null}
      {r.cancelled ? (
        <p class="note" id="cancelled">
          {`Cancelled in phase ${r.cancelled.phase} by `}
          <Addr a={r.cancelled.by} c={c} /> {" at "}
          <Time ts={r.cancelled.time} /> <TxLink h={r.cancelled.tx} />
          {". Nothing is paid or slashed for it (a committed non-revealer stays slashable); its funders take their contributions back."}
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
              block <BlockLink n={r.registeredBlock} /> · <Time ts={r.registeredAt} /> · by <Addr a={r.registrar} c={c} /> · <TxLink h={r.registeredTx} />
            </>,
          ],
          ["Registrar", <Addr a={r.registrar} c={c} full />],
          ["Batch manifest CID", <Val v={r.manifestCid} c={c} />],
          [
            "Seed block",
            <>
              <span data-field="seed-block">
                <BlockLink n={r.seedBlock} />
              </span>
              <span class="muted">{` (its hash seeds the round; drawable until block ${r.seedDrawableUntil})`}</span>
            </>,
          ],
          [
            "Seed",
            r.seed ? (
              <>
                <Hash h={r.seed} /> <span class="muted">drawn in block </span>
                <BlockLink n={r.seedDrawnBlock} />
              </>
            ) : (
              <span class="muted">not drawn yet</span>
            ),
          ],
          ["Assignment deadline", <Time ts={r.assignDeadline} />],
          [
            "Settlement expiry",
            <>
              <Time ts={r.expiresAt} />
              <span class="muted">{` (extended ${r.extensions} of at most ${r.maxExtensions ?? "—"} times)`}</span>
            </>,
          ],
          [
            "Settlement attempt",
            <span data-field="attempt">{`${r.attempt}${r.vetoes ? ` · ${r.vetoes} veto${r.vetoes === 1 ? "" : "es"} of at most ${r.maxVetoes ?? "—"}` : ""}${r.rejections ? ` · ${r.rejections} rejected` : ""}`}</span>,
          ],
          ["Parameter version", <a href="/governance#params-section">{String(r.paramsVersion)}</a>],
          ["Task root", <Hash h={r.taskRoot} />],
          [
            "Assignment root",
            <>
              <Hash h={r.assignmentRoot} />
              {r.assignment === "verified" ? <Badge text="recomputed and verified" kind="ok" /> : r.assignment === "mismatch" ? <Badge text="recomputation differs" kind="warn" /> : null}
            </>,
          ],
          ["Accepted settlement", <Hash h={r.settlementHash} />],
          ["Rewards root (sum tree)", <Hash h={r.rewardsRoot} />],
          ["Trust root", <Hash h={r.trustRoot} />],
          ["Inputs hash", <Hash h={r.inputsHash} />],
          [
            "Circuit breaker",
            p.breaker.held === null ? (
              <span class="muted">no accepted settlement yet</span>
            ) : (
              <span data-field="breaker" data-held={String(p.breaker.held)} data-split-gap={p.breaker.splitGap === null ? undefined : String(p.breaker.splitGap)} data-split={p.breaker.split === null ? undefined : String(p.breaker.split)}>
                {p.breaker.held ? <Badge text="held: low-trust slashing frozen this round" kind="warn" /> : "not held"}
                {campsText(p.breaker) ? (
                  <>
                    {" "}
                    <Badge text={campsText(p.breaker)!} kind="warn" />
                  </>
                ) : null}
                {p.breaker.flaggedStakePpm !== null ? <span class="muted">{` (flagged stake ${trustText(p.breaker.flaggedStakePpm)}, confirmed ${trustText(p.breaker.confirmedStakePpm ?? 0)} of the revealers' stake${p.breaker.splitGap !== null ? `; widest gap between camps ${p.breaker.splitGap.toFixed(3)} points` : ""})`}</span> : null}
              </span>
            ),
          ],
          [
            "Excluded tasks",
            p.excludedTasks === null ? (
              <span class="muted">in the settlement payload</span>
            ) : (
              <span id="excluded-tasks" data-count={String(p.excludedTasks.length)}>
                {p.excludedTasks.length ? p.excludedTasks.map((i) => <a href={`/round/${r.id}/task/${i}`}>{`${i} `}</a>) : "none"}
                <span class="muted"> (outputs unavailable to most of their evaluators: no consensus, no pay)</span>
              </span>
            ),
          ],
        ]}
      />
      <Section title="Gold tasks" id="gold-section">
        <Facts
          id="gold"
          items={[
            ["Gold commitment", hasGold ? <Hash h={g.commitment} /> : <span class="muted">none: the round has no gold tasks</span>],
            ...(hasGold
              ? ([
                  ["Gold opening", <Badge text={g.opening === "loaded" ? "opens the commitment" : g.opening} kind={g.opening === "loaded" ? "ok" : "warn"} />],
                  ["Gold root", <Hash h={g.root} />],
                  ["Gold count", <span data-field="gold-count">{g.count === null ? "— (after settlement)" : String(g.count)}</span>],
                ] as [string, Child][])
              : []),
          ]}
        />
        {g.tasks?.length ? (
          <Table
            id="gold-tasks"
            head={["Task", "Pool item", "Known quality (0–10)", "Content hash"]}
            rows={g.tasks.map((x) => [<a href={`/round/${r.id}/task/${x.taskIndex}`}>{String(x.taskIndex)}</a>, String(x.poolIndex), <Quality q={x.quality / 1000} />, <Hash h={x.contentHash} />])}
          />
        ) : null}
      </Section>
      <Section title="Timeline" id="timeline-section">
        <Table
          id="timeline"
          head={["Phase", "Attempt", "Started", "First block", "Ends / ended", "Opened by"]}
          rows={p.timeline.map((t) => [
            <PhaseBadge phase={t.phase} />,
            t.attempt ? String(t.attempt) : "—",
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
      >
        {p.funders.length ? (
          <>
            <h3>Refunds per funder</h3>
            <Table
              id="funders"
              head={["Funder", "Contributed", "Refunded", "Refundable now"]}
              rows={p.funders.map((f) => [
                <span data-funder={f.funder}>
                  <Addr a={f.funder} c={c} />
                </span>,
                <Amt a={f.contributed} c={c} />,
                <Amt a={f.refunded} c={c} field="refunded" />,
                <Amt a={f.refundable} c={c} field="refundable" />,
              ])}
            />
          </>
        ) : null}
      </TableSection>
      <Section title="Settlement attempts" id="attempts-section">
        {p.attempts.length ? (
          p.attempts.map((a) => (
            <div class="attempt" data-attempt={String(a.attempt)} data-outcome={a.outcome}>
              <h3>
                {`Attempt ${a.attempt} `}
                <Badge text={a.outcome} kind={ATTEMPT_KIND[a.outcome]} />
              </h3>
              <p class="muted">
                {"Commits until "}
                <Time ts={a.commitsClose} />
                {", reveals until "}
                <Time ts={a.revealsClose} />
                {a.acceptedHash ? (
                  <>
                    {"; accepted "}
                    <code class="hash">{a.acceptedHash}</code>
                  </>
                ) : null}
              </p>
              <Table
                id={`attempt-${a.attempt}`}
                head={["Relayer", "Commitment", "Revealed settlement hash", "Payload CID", "Commit", "Reveal"]}
                rows={a.commits.map((x) => {
                  const rev = a.reveals.find((y) => y.relayer === x.relayer);
                  return [
                    <Addr a={x.relayer} c={c} />,
                    <code class="hash" title={x.commitment}>
                      {shortHex(x.commitment, 10, 6)}
                    </code>,
                    rev ? (
                      <code class="hash" data-field="settlement-hash">
                        {rev.settlementHash}
                      </code>
                    ) : (
                      <span class="muted">not revealed</span>
                    ),
                    rev ? <Val v={rev.payloadCid} c={c} /> : <span class="muted">—</span>,
                    <TxLink h={x.tx} />,
                    <TxLink h={rev?.tx} />,
                  ];
                })}
              />
            </div>
          ))
        ) : (
          <p class="muted" id="attempts">
            No settlement committed yet.
          </p>
        )}
      </Section>
      {p.vetoes.length || p.rejections.length ? (
        <Section title="Vetoes and rejections" id="vetoes-section">
          <Table
            id="vetoes"
            head={["Kind", "By", "Settlement", "Bonds seized", "Challenger's reward", "Settlement reopens until", "Time", "Transaction"]}
            rows={[
              ...p.vetoes.map((v) => ["veto by the guardian", <Addr a={v.guardian} c={c} />, <Hash h={v.settlementHash} />, "—", "—", <Time ts={v.expiresAt} />, <Time ts={v.time} />, <TxLink h={v.tx} />]),
              ...p.rejections.map((v) => [
                "rejected on a challenge",
                <Addr a={v.challenger} c={c} />,
                <Hash h={v.settlementHash} />,
                <Amt a={v.seized} c={c} field="seized" />,
                <Amt a={v.reward} c={c} field="challenge-reward" />,
                <Time ts={v.expiresAt} />,
                <Time ts={v.time} />,
                <TxLink h={v.tx} />,
              ]),
            ]}
          />
        </Section>
      ) : null}
      <ChallengesTable c={c} challenges={p.challenges} violations={p.violations} empty="No challenge against this round's settlements." />
      {p.announcements.length ? (
        <TableSection
          name="announcements"
          title="Announced content"
          head={["Relayer", "Kind", "CID", "Block", "Transaction"]}
          rows={p.announcements.map((x) => [<Addr a={x.relayer} c={c} />, <Val v={x.kind} c={c} />, <Val v={x.cid} c={c} />, <BlockLink n={x.block} />, <TxLink h={x.tx} />])}
        />
      ) : null}
      <Section title="Evaluators" id="evaluators-section">
        <Table
          id="evaluators"
          head={["Evaluator", "Tasks", "Committed", "Revealed", "Unavailable", "Mean score (0–10)", "Trust after (0–1)", "Reward", "Slashed"]}
          empty="No evaluators yet."
          rows={p.evaluators.map((e) => [
            <span data-evaluator={e.address}>
              <Addr a={e.address} c={c} />
            </span>,
            e.assignedTasks === null ? "—" : String(e.assignedTasks),
            <YesNo b={e.committed} />,
            <YesNo b={e.revealed} />,
            String(e.unavailable),
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
      <SlashesSection c={c} by="evaluator" empty="No slashes executed." slashes={p.slashes.map((x) => ({ ...x, evaluator: x.account }))}>
        {p.proposedSlashes.length ? (
          <>
            <h3>Low-trust slash list of the accepted settlement</h3>
            <Table id="proposed-slashes" head={["Evaluator", "Reason", "Outcome"]} rows={p.proposedSlashes.map((x) => [<Addr a={x.evaluator} c={c} full />, x.reasonText, x.outcome])} />
          </>
        ) : null}
        {p.skippedSlashes.length ? (
          <>
            <h3>Skipped slashes</h3>
            <Table id="skipped-slashes" head={["Evaluator", "Reason", "Transaction"]} rows={p.skippedSlashes.map((x) => [<Addr a={x.evaluator} c={c} full />, x.reasonText, <TxLink h={x.tx} />])} />
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
                        {t.excluded ? <span class="badge badge-warn">excluded</span> : null}
                        {t.gold !== null ? <span class="badge badge-gold" title={`known quality ${qualityText(t.gold)}`}>gold</span> : null}
                      </td>
                      <td class="scores">
                        {t.scores.map((s) => (
                          <a class="chip" href={`/address/${s.evaluator}`}>{`${s.evaluator.slice(0, 6)} ${s.score === null ? "unavailable" : qualityText(s.score)}`}</a>
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
          ...(t.excluded ? ([["Excluded", <span class="reason">its output was unavailable to most of its evaluators: no consensus, no pay</span>]] as [string, Child][]) : []),
          ...(t.gold !== null ? ([["Gold task", <span data-field="gold-quality">{`known quality ${qualityText(t.gold)}`}</span>]] as [string, Child][]) : []),
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
      <Table id="task-scores" head={["Evaluator", "Score"]} empty="No revealed scores for this task." rows={t.scores.map((s) => [<Addr a={s.evaluator} c={c} />, s.score === null ? <span class="muted">unavailable</span> : <Quality q={s.score} />])} />
    </Section>
  </Layout>
);
