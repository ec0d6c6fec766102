import type { Child, FC } from "hono/jsx";
import type { ChallengesPage, ChallengeView, GovernancePage, ViolationView } from "../governance";
import { Addr, Amt, Args, Badge, BlockLink, Countdown, EthAmt, EventsSection, Facts, Hash, Layout, Overview, RoundLink, Section, Table, Time, TxLink, Val, type PageCtx } from "./components";

/** Bonded challenges (kind, subject, bond, deadline, status, outcome) and proven violations; on the round, address and challenges pages. */
export const ChallengesTable: FC<{ c: PageCtx; challenges: ChallengeView[]; violations: ViolationView[]; empty: string; id?: string; title?: string }> = ({ c, challenges, violations, empty, id, title }) => (
  <Section title={title ?? "Challenges"} id={`${id ?? "challenges"}-section`}>
    <Table
      id={id ?? "challenges"}
      head={["Challenge", "Round", "Kind", "Subject", "Challenger", "Bond", "Answer deadline", "Status", "Outcome", "Opened"]}
      empty={empty}
      rows={challenges.map((x) => [
        <span data-challenge={String(x.id)}>{`#${x.id}`}</span>,
        <RoundLink id={x.round} />,
        <Val v={x.kind} c={c} />,
        x.subject.account ? (
          <>
            {"allotment of "}
            <Addr a={x.subject.account} c={c} />
            {" (at least "}
            <Amt a={x.subject.minAmount} c={c} />
            {")"}
          </>
        ) : x.subject.goldItem ? (
          `gold task ${x.subject.goldItem.taskIndex} (pool item ${x.subject.goldItem.poolIndex}, quality ${(x.subject.goldItem.quality / 1000).toFixed(3)})`
        ) : (
          "a gold item"
        ),
        <Addr a={x.challenger} c={c} />,
        <Amt a={x.bond} c={c} field="challenge-bond" />,
        x.countdown ? (
          <Countdown d={x.countdown} />
        ) : (
          <span data-deadline={String(x.deadline)}>
            <Time ts={x.deadline} />
          </span>
        ),
        <span data-field="challenge-status">
          <Badge text={x.status} kind={x.status} />
        </span>,
        x.answered ? (
          <>
            {"answered by "}
            <Addr a={x.answered.responder} c={c} />
            {": "}
            <Amt a={x.answered.toResponder} c={c} field="to-responder" />
            {" of the bond to it, "}
            <Amt a={x.answered.toChallenger} c={c} field="to-challenger" />
            {" back "}
            <TxLink h={x.answered.tx} />
          </>
        ) : x.upheld ? (
          <>
            {"upheld: settlement rejected, relayer bonds seized "}
            <Amt a={x.upheld.seized} c={c} field="seized" />
            {", challenger's reward "}
            <Amt a={x.upheld.reward} c={c} field="challenge-reward" />
            {", bond back "}
            <TxLink h={x.upheld.tx} />
          </>
        ) : x.moot ? (
          <>
            {"moot: its settlement was vetoed or rejected; bond back "}
            <TxLink h={x.moot.tx} />
          </>
        ) : (
          <span class="muted">open</span>
        ),
        <>
          <Time ts={x.opened.time} /> <TxLink h={x.opened.tx} />
        </>,
      ])}
    />
    {violations.length ? (
      <>
        <h3>Violations proven at once</h3>
        <Table
          id={`${id ?? "challenges"}-violations`}
          head={["Round", "Challenger", "Violation", "Settlement", "Bonds seized", "Reward", "Transaction"]}
          rows={violations.map((v) => [
            <RoundLink id={v.round} />,
            <Addr a={v.challenger} c={c} />,
            <span class="text">{v.violation}</span>,
            <Hash h={v.settlementHash} />,
            <Amt a={v.seized} c={c} />,
            <Amt a={v.reward} c={c} />,
            <TxLink h={v.tx} />,
          ])}
        />
      </>
    ) : null}
  </Section>
);

export const ChallengesPageView: FC<{ c: PageCtx; p: ChallengesPage }> = ({ c, p }) => (
  <Layout c={c} title="Challenges">
    <h1>Challenges</h1>
    <p class="lead">
      {`${p.challenges.length} bonded challenge${p.challenges.length === 1 ? "" : "s"}, ${p.open} open; ${p.violations.length} violation${p.violations.length === 1 ? "" : "s"} proven at once. During a settlement's challenge window anyone may post a bond and ask the relayers to prove an account's allotment or a gold item; an unanswered challenge holds (the settlement is rejected and the relayers that revealed it lose their bonds), an answered one pays part of its bond to whoever answered.`}
    </p>
    <ChallengesTable c={c} challenges={p.challenges} violations={p.violations} empty="No challenge has been opened." title="All challenges" />
  </Layout>
);

const STATE_KIND: Record<string, string> = { pending: "pending", ready: "ready", done: "done", cancelled: "cancelled" };

export const GovernancePageView: FC<{ c: PageCtx; p: GovernancePage }> = ({ c, p }) => (
  <Layout c={c} title="Governance">
    <h1>Governance</h1>
    <p class="lead">
      The timelock owns the settlement configuration and the stake vault: every change is scheduled in public and executes only after its delay, which must cover the unbonding period plus the longest
      round, so every staker can see it coming and leave first.
    </p>
    <Overview
      items={[
        ["Timelock", <Addr a={p.timelock} c={c} full />],
        [
          "Minimum delay",
          p.minDelay ? (
            <span data-field="min-delay">
              <Val v={p.minDelay} c={c} />
            </span>
          ) : (
            <span class="muted">unknown</span>
          ),
        ],
        [
          "Required by the configuration / the vault",
          <>
            <span data-field="required-config">{p.requiredDelay.config ? <Val v={p.requiredDelay.config} c={c} /> : "—"}</span>
            {" / "}
            <span data-field="required-vault">{p.requiredDelay.vault ? <Val v={p.requiredDelay.vault} c={c} /> : "—"}</span>{" "}
            {p.delayCovers === null ? null : p.delayCovers ? <Badge text="the delay covers both" kind="ok" /> : <Badge text="the delay is too short" kind="bad" />}
          </>,
        ],
        ["Guardian", <Addr a={p.guardian} c={c} full />],
        ...p.owners.map((o) => [`Owner of ${o.contract}`, <Addr a={o.owner} c={c} full />] as [string, Child]),
        ["Unbonding period", p.vault.unbondingPeriod ? <Val v={p.vault.unbondingPeriod} c={c} /> : "—"],
        ["Slash cap per round", p.vault.maxSlashBps ? <Val v={p.vault.maxSlashBps} c={c} /> : "—"],
        ["Slash recipient", <Addr a={p.vault.slashRecipient} c={c} full />],
        ...p.vault.minStake.map((m) => [`Minimum ${m.role} stake`, <Amt a={m.minimum} c={c} />] as [string, Child]),
      ]}
    />
    <Section title="Queued operations" id="operations-section">
      {p.operations.length ? (
        p.operations.map((op) => (
          <div class="operation" data-operation={op.id} data-state={op.state} data-ready-at={String(op.readyAt)}>
            <h3>
              {"Operation "}
              <code class="hash">{op.id}</code> <Badge text={op.state} kind={STATE_KIND[op.state]} />
            </h3>
            <Facts
              items={[
                [
                  "Scheduled",
                  <>
                    <Time ts={op.scheduled.time} /> (block <BlockLink n={op.scheduled.block} />) <TxLink h={op.scheduled.tx} />
                  </>,
                ],
                ["Delay", <Val v={op.delay} c={c} />],
                [
                  "Ready at",
                  <>
                    <span data-field="ready-at">
                      <Time ts={op.readyAt} />
                    </span>{" "}
                    {op.countdown ? <Countdown d={op.countdown} /> : null}
                  </>,
                ],
                ...(op.executed
                  ? ([
                      [
                        "Executed",
                        <>
                          <Time ts={op.executed.time} /> <TxLink h={op.executed.tx} />
                        </>,
                      ],
                    ] as [string, Child][])
                  : []),
                ...(op.cancelled
                  ? ([
                      [
                        "Cancelled",
                        <>
                          <Time ts={op.cancelled.time} /> <TxLink h={op.cancelled.tx} />
                        </>,
                      ],
                    ] as [string, Child][])
                  : []),
                ["Salt", <Hash h={op.salt} />],
                ["Predecessor", <Hash h={op.predecessor} />],
              ]}
            />
            {op.calls.map((call) => (
              <div class="call" data-index={String(call.index)}>
                <p>
                  {`Call ${call.index}: `}
                  <code class="fn" data-field="op-function">
                    {call.call ? `${call.call.function}(${call.call.args.map((a) => a.name).join(", ")})` : "unknown function"}
                  </code>
                  {" on "}
                  <Val v={call.target} c={c} />
                  {BigInt(call.value.wei) > 0n ? (
                    <>
                      {" with "}
                      <EthAmt a={call.value} />
                    </>
                  ) : null}
                </p>
                {call.paramsDiff ? (
                  <Table
                    id={`diff-${op.id.slice(2, 10)}-${call.index}`}
                    head={["Parameter", "Now", "Proposed"]}
                    rows={call.paramsDiff
                      .filter((d) => d.changed)
                      .map((d) => [<span data-param={d.name}>{d.name}</span>, d.current ? <Val v={d.current} c={c} /> : "—", <Val v={d.proposed} c={c} />])}
                    empty="No parameter changes."
                  />
                ) : call.call ? (
                  <Args fields={call.call.args} c={c} />
                ) : (
                  <code class="hash">{call.data}</code>
                )}
              </div>
            ))}
          </div>
        ))
      ) : (
        <p class="muted" id="operations">
          No operation has been scheduled.
        </p>
      )}
    </Section>
    <Section title={p.params ? `Parameters in force: version ${p.params.version}` : "Parameters"} id="params-section">
      {p.params ? (
        <>
          <p class="muted">
            {"Set "}
            <Time ts={p.params.set.time} /> <TxLink h={p.params.set.tx} />
            {". Rounds keep the version they were registered under."}
          </p>
          <Args fields={p.params.fields} c={c} />
        </>
      ) : (
        <p class="muted">No ParamsSet event indexed (index from the deployment block to see them).</p>
      )}
    </Section>
    <Section title="Relayers" id="relayers-section">
      <Table
        id="relayers"
        head={["Id", "Relayer", "Current", "Bond (relayer stake)", "Bonded"]}
        empty="No relayer."
        rows={p.relayers.map((r) => [
          String(r.id),
          <span data-relayer={r.address}>
            <Addr a={r.address} c={c} full />
          </span>,
          r.current ? "yes" : "removed",
          <Amt a={r.bond} c={c} field="bond" />,
          r.bonded === null ? "—" : r.bonded ? "yes" : <Badge text="below the minimum bond" kind="warn" />,
        ])}
      />
    </Section>
    <EventsSection c={c} events={p.events} />
  </Layout>
);
