import type { Child, FC } from "hono/jsx";
import { ChallengesTable } from "./protocol";
import type { AddressPage } from "../api";
import { shortHex, trustText } from "../format";
import { amountFacts, Hash, EventsSection, SlashesSection, Addr, Amt, Badge, Countdown, EthAmt, Facts, Layout } from "./components";
import { Overview, Quality, RoundLink, Section, Table, TableSection, Time, Trust, TxLink, YesNo, type PageCtx } from "./components";
import { TxsTable } from "./round";
import { TransfersTable } from "./chain";

/** Trust over rounds as an inline SVG line chart (no script needed). */
export const TrustChart: FC<{ points: { round: number; trustPpm: number }[] }> = ({ points }) => {
  if (points.length === 0)
    return (
      <p class="muted" id="trust-chart">
        No trust recorded (trust is in the settlement payloads).
      </p>
    );
  const [W, H, L, R, T, B] = [640, 220, 48, 16, 14, 34];
  const minR = points[0].round;
  const maxR = points[points.length - 1].round;
  const x = (r: number) => (maxR === minR ? L + (W - L - R) / 2 : L + ((r - minR) / (maxR - minR)) * (W - L - R));
  const y = (ppm: number) => T + (1 - ppm / 1e6) * (H - T - B);
  return (
    <figure class="chart" id="trust-chart">
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label="Trust over rounds">
        {[0, 0.25, 0.5, 0.75, 1].map((v) => (
          <>
            <line class="grid" x1={String(L)} x2={String(W - R)} y1={y(v * 1e6).toFixed(1)} y2={y(v * 1e6).toFixed(1)} />
            <text class="tick" x={String(L - 6)} y={(y(v * 1e6) + 4).toFixed(1)} text-anchor="end">
              {v.toFixed(2)}
            </text>
          </>
        ))}
        {points.map((p) => (
          <text class="tick" x={x(p.round).toFixed(1)} y={String(H - B + 16)} text-anchor="middle">
            {String(p.round)}
          </text>
        ))}
        <text class="axis" x={String((L + W - R) / 2)} y={String(H - 4)} text-anchor="middle">
          round
        </text>
        <polyline class="line" points={points.map((p) => `${x(p.round).toFixed(1)},${y(p.trustPpm).toFixed(1)}`).join(" ")} />
        {points.map((p) => (
          <circle class="point" cx={x(p.round).toFixed(1)} cy={y(p.trustPpm).toFixed(1)} r="4" data-round={String(p.round)} data-ppm={String(p.trustPpm)}>
            <title>{`Round ${p.round}: trust ${trustText(p.trustPpm)}`}</title>
          </circle>
        ))}
      </svg>
      <figcaption>Trust after each round (0–1), from the settlement payloads; the trust root of each is checked on chain.</figcaption>
    </figure>
  );
};

export const AddressPageView: FC<{ c: PageCtx; p: AddressPage }> = ({ c, p }) => {
  const cl = p.claimable;
  const claimFacts = amountFacts(c, [
    ["Claimable now", cl.claimable, "claimable"],
    ["Cumulative amount in the current root", cl.cumulative, "cumulative"],
    ["Claimed so far", cl.claimed, "claimed"],
  ]);
  const b = p.balances;
  return (
    <Layout c={c} title={`Address ${p.address}`}>
      <h1>
        {"Address "}
        {p.nameTag ? <span class="tag">{p.nameTag}</span> : null} <span class="mono">{shortHex(p.address, 10, 8)}</span>
      </h1>
      <Overview
        items={[
          ["Address", <Hash h={p.address} id="address" />],
          [
            "Name tag",
            p.nameTag ? (
              <span class="tag" id="name-tag">
                {p.nameTag}
              </span>
            ) : (
              <span class="muted">none</span>
            ),
          ],
          [
            "Roles",
            p.tags.length ? (
              <>
                {p.tags.map((r) => (
                  <Badge text={r} kind="role" />
                ))}
              </>
            ) : (
              <span class="muted">none</span>
            ),
          ],
          ...(p.contract ? ([["Contract", p.contract.label]] as [string, string][]) : []),
          [
            "ETH balance",
            b.eth ? (
              <>
                <EthAmt a={b.eth} field="eth-balance" /> <span class="muted">{`at block ${b.block}`}</span>
              </>
            ) : (
              <span class="muted">{b.note ?? "unknown"}</span>
            ),
          ],
          [
            `${c.status.token.symbol} balance`,
            b.token ? (
              <>
                <Amt a={b.token} c={c} field="token-balance" /> <span class="muted">{`at block ${b.block}`}</span>
              </>
            ) : (
              <>
                <Amt a={b.tokenFromTransfers} c={c} field="token-balance-transfers" /> <span class="muted">(from the indexed transfers)</span>
              </>
            ),
          ],
          ["Total rewards", <Amt a={p.totalRewards} c={c} field="total-rewards" />],
        ]}
      />
      <TableSection
        name="stakes"
        title="Stake and unbonding"
        head={["Role", "Active", "Unbonding", "Withdrawable", "Slashed", "Staked in total", "Withdrawn"]}
        empty="No stake."
        rows={p.stakes.map((s) => {
          const u = p.unlocks.find((x) => x.role === s.role);
          return [
            <span data-role={s.role}>{s.role}</span>,
            <Amt a={s.active} c={c} field="stake-active" />,
            <Amt a={s.queued} c={c} field="stake-queued" />,
            s.unlockTime === null ? "—" : s.withdrawable ? <Badge text="now" kind="ok" /> : <Countdown d={u} />,
            <Amt a={s.slashed} c={c} field="stake-slashed" />,
            <Amt a={s.staked} c={c} />,
            <Amt a={s.withdrawn} c={c} />,
          ];
        })}
      >
        <Facts
          id="withdrawal"
          items={[
            [
              "Withdrawals",
              p.withdrawalLocked === null ? (
                <span class="muted">unknown (no chain connection)</span>
              ) : (
                <span data-field="withdrawal-locked" data-locked={String(p.withdrawalLocked)}>
                  {p.withdrawalLocked ? (
                    <Badge text="locked: a round it committed in is open, or a commitment is neither revealed nor slashed" kind="warn" />
                  ) : (
                    "not locked by the settlement contract"
                  )}
                </span>
              ),
            ],
            ...(p.relayer
              ? ([
                  [
                    "Relayer",
                    <span data-field="relayer-id" data-id={String(p.relayer.id)}>
                      {`id ${p.relayer.id}${p.relayer.current ? "" : " (removed)"} · bond `}
                      <Amt a={p.relayer.bond} c={c} field="relayer-bond" />
                      {p.relayer.minimum ? (
                        <>
                          {" of at least "}
                          <Amt a={p.relayer.minimum} c={c} />
                          {p.relayer.bonded ? "" : " (below the minimum: it cannot register, vote or settle)"}
                        </>
                      ) : null}
                    </span>,
                  ],
                ] as [string, Child][])
              : []),
          ]}
        />
        {p.unbonding?.length ? (
          <>
            <h3>Unbonding queue</h3>
            <Table
              id="unbonding"
              head={["Role", "Amount", "Unlocks", "When"]}
              rows={p.unbonding.map((u) => [
                u.role,
                <Amt a={u.amount} c={c} field="unbonding-amount" />,
                <span data-unlock={String(u.unlockTime)}>
                  <Time ts={u.unlockTime} />
                </span>,
                u.unlocked ? <Badge text="withdrawable now" kind="ok" /> : <Countdown d={u} />,
              ])}
            />
          </>
        ) : null}
      </TableSection>
      <Section title="Claimable balance" id="claimable-section">
        {cl.claimable === null ? (
          <p class="note" id="claimable">
            {`${cl.note ?? "unknown"}. Already claimed: `}
            <Amt a={cl.claimed} c={c} field="claimed" />.
          </p>
        ) : (
          <>
            <Facts
              id="claimable"
              items={[...claimFacts, ["Leaf index", <span data-field="leaf-index">{cl.index === null ? "—" : String(cl.index)}</span>], ["Root installed by round", cl.rootRound === null ? "—" : <RoundLink id={cl.rootRound} />]]}
            />
            {cl.proof && cl.proof.length ? (
              <details class="proof" open>
                <summary>
                  {`Sum-tree proof (${cl.proof.length / 2} levels: sibling hash, then sibling sum) of leaf ${cl.index ?? "—"} for `}
                  <code>claim(account, cumulativeAmount, index, proof)</code>
                </summary>
                <ol id="proof">
                  {cl.proof.map((h) => (
                    <li>
                      <code class="hash">{h}</code>
                    </li>
                  ))}
                </ol>
                <button type="button" class="copy" data-copy={JSON.stringify({ account: p.address, cumulativeAmount: cl.cumulative?.wei, index: cl.index, proof: cl.proof })}>
                  Copy claim arguments
                </button>
              </details>
            ) : cl.note ? (
              <p class="muted">{`${cl.note}.`}</p>
            ) : null}
          </>
        )}
      </Section>
      <Section title="Trust over rounds" id="trust-section">
        <TrustChart points={p.trust} />
        <Table
          id="trust"
          head={["Round", "Trust after the round", "Rounds below threshold in a row"]}
          empty="No trust recorded."
          rows={p.trust.map((t) => [<RoundLink id={t.round} />, <Trust ppm={t.trustPpm} />, String(t.lowStreak)])}
        />
      </Section>
      <Section title="Rewards per round" id="rewards-section">
        <Table id="rewards" head={["Round", "Reward"]} empty="No rewards." rows={p.rewards.map((r) => [<RoundLink id={r.round} />, <Amt a={r.amount} c={c} field="reward" />])} />
      </Section>
      <Section title="Claims" id="claims-section">
        <Table
          id="claims"
          head={["Root of round", "Paid", "Cumulative", "Claimed by", "Time", "Transaction"]}
          empty="No claims."
          rows={p.claims.map((x) => [
            <RoundLink id={x.rootRound} />,
            <Amt a={x.amount} c={c} field="claim-amount" />,
            <Amt a={x.cumulative} c={c} />,
            <Addr a={x.caller} c={c} />,
            <Time ts={x.time} />,
            <TxLink h={x.tx} />,
          ])}
        />
      </Section>
      {p.funding.length ? (
        <TableSection
          name="funding"
          title="Rounds funded"
          head={["Round", "Contributed", "Refunded", "Refundable now"]}
          rows={p.funding.map((f) => [
            <span data-round={String(f.round)}>
              <RoundLink id={f.round} />
            </span>,
            <Amt a={f.contributed} c={c} />,
            <Amt a={f.refunded} c={c} field="refunded" />,
            <Amt a={f.refundable} c={c} field="refundable" />,
          ])}
        />
      ) : null}
      {p.challengesOpened.length || p.violations.length ? (
        <ChallengesTable c={c} challenges={p.challengesOpened} violations={p.violations} empty="No challenge opened." id="challenges-opened" title="Challenges opened" />
      ) : null}
      {p.challengesAnswered.length ? <ChallengesTable c={c} challenges={p.challengesAnswered} violations={[]} empty="None." id="challenges-answered" title="Challenges answered" /> : null}
      <SlashesSection c={c} by="round" empty="Never slashed." slashes={p.slashes}>
        {p.skippedSlashes.length ? (
          <>
            <h3>Slashes skipped (the chain contradicted the settlement)</h3>
            <Table id="skipped-slashes" head={["Round", "Reason", "Transaction"]} rows={p.skippedSlashes.map((x) => [<RoundLink id={x.round} />, x.reasonText, <TxLink h={x.tx} />])} />
          </>
        ) : null}
      </SlashesSection>
      {p.votes.length ? (
        <Section title="Evaluations" id="votes-section">
          <Table
            id="votes"
            head={["Round", "Tasks assigned", "Committed", "Revealed", "Mean score (0–10)"]}
            rows={p.votes.map((v) => [
              <RoundLink id={v.round} />,
              v.assignedTasks === null ? "—" : String(v.assignedTasks),
              <YesNo b={v.committed} />,
              <YesNo b={v.revealed} />,
              <Quality q={v.meanScore} />,
            ])}
          />
        </Section>
      ) : null}
      {p.served.length ? (
        <Section title="Outputs served" id="served-section">
          <Table id="served" head={["Round", "Tasks", "Mean consensus quality (0–10)"]} rows={p.served.map((s) => [<RoundLink id={s.round} />, String(s.tasks), <Quality q={s.meanConsensus} />])} />
        </Section>
      ) : null}
      <Section title="Transactions" id="transactions-section">
        <TxsTable c={c} txs={p.transactions} id="transactions" />
      </Section>
      <Section title={`${c.status.token.symbol} transfers`} id="transfers-section">
        <TransfersTable c={c} rows={p.tokenTransfers} id="token-transfers" />
      </Section>
      <EventsSection c={c} events={p.events} />
    </Layout>
  );
};
