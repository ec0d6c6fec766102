import type { Child, FC } from "hono/jsx";
import type { BlockPage, BlocksFeed, TokenPage, TransferRow, TxPage, TxsFeed } from "../chainApi";
import { groupTokens } from "../values";
import { Addr, Amt, Args, BlockLink, EthAmt, Hash, Layout, Overview, Pager, Parts, RoundLink, Section, StatusBadge, Table, Time, TxLink, Val, type PageCtx } from "./components";
import { BlocksTable, TxsTable } from "./round";

export const TransfersTable: FC<{ c: PageCtx; rows: TransferRow[]; id: string }> = ({ c, rows, id }) => (
  <Table
    id={id}
    head={["Transaction", "Block", "Time", "From", "To", "Amount"]}
    empty="No transfers."
    rows={rows.map((t) => [
      <TxLink h={t.tx} />,
      <BlockLink n={t.block} />,
      <Time ts={t.time} />,
      <Val v={t.from} c={c} />,
      <Val v={t.to} c={c} />,
      <span data-field="transfer-amount">
        <Val v={t.amount} c={c} />
      </span>,
    ])}
  />
);

export const TxPageView: FC<{ c: PageCtx; t: TxPage }> = ({ c, t }) => (
  <Layout c={c} title={`Transaction ${t.hash.slice(0, 10)}…`}>
    <h1>
      {"Transaction "}
      <StatusBadge status={t.status} />
    </h1>
    <Overview
      items={[
        ["Hash", <Hash h={t.hash} id="tx-hash" />],
        [
          "Status",
          <span id="tx-status" data-status={t.status}>
            <StatusBadge status={t.status} />
          </span>,
        ],
        ...(t.revert
          ? ([
              [
                "Failed with",
                <span class="reason" id="revert-reason">
                  {t.revert.text}
                </span>,
              ],
            ] as [string, Child][])
          : []),
        [
          "Block",
          <>
            <BlockLink n={t.block} /> · <Time ts={t.time} />
            {` · position ${t.txIndex}`}
          </>,
        ],
        ["From", <Val v={t.from} c={c} />],
        ["To", t.to ? <Val v={t.to} c={c} /> : <span class="muted">contract creation</span>],
        ["Value", <EthAmt a={t.value} field="value" />],
        [
          "Transaction fee",
          <>
            <EthAmt a={t.fee} field="fee" /> <span class="muted" data-field="fee-gwei">{`(${groupTokens(t.fee.gwei)} gwei)`}</span>
          </>,
        ],
        [
          "Gas price",
          <span data-field="gas-price" data-wei={t.gasPrice.wei}>
            {`${t.gasPrice.gwei} gwei`}
          </span>,
        ],
        [
          "Gas used / limit",
          <>
            <span data-field="gas-used">{t.gasUsed}</span>
            {" of "}
            <span data-field="gas-limit">{t.gasLimit}</span>
            {` (${t.gasUsedPercent}%)`}
          </>,
        ],
        ["Nonce · type", `${t.nonce} · ${t.type}`],
        [
          "Rounds",
          t.rounds.length ? (
            <>
              {t.rounds.map((r) => (
                <RoundLink id={r} />
              ))}
            </>
          ) : (
            "—"
          ),
        ],
        ...(t.indexed ? [] : ([["Index", <span class="muted">not indexed (no call to a project contract, no project event); read from the chain</span>]] as [string, Child][])),
      ]}
    />
    <Section title="Decoded call" id="call-section">
      {t.call ? (
        <>
          <p id="call-function">
            <code class="fn">{`${t.call.function}(${t.call.args.map((a) => a.name).join(", ")})`}</code>
          </p>
          <Args fields={t.call.args} c={c} />
        </>
      ) : (
        <p class="muted" id="call-function">
          Not a call to a known contract.
        </p>
      )}
      {t.revert && t.revert.args.length ? (
        <>
          <h3>{`Error ${t.revert.error}`}</h3>
          <Args fields={t.revert.args} c={c} />
        </>
      ) : null}
      <details>
        <summary>{`Raw input (${(t.input.length - 2) / 2} bytes)`}</summary>
        <pre class="raw">{t.input}</pre>
      </details>
    </Section>
    <Section title={`Token transfers (${t.tokenTransfers.length})`} id="token-transfers-section">
      <Table
        id="token-transfers"
        head={["Token", "From", "To", "Amount"]}
        empty="No token transfers."
        rows={t.tokenTransfers.map((x) => [
          <Val v={x.token} c={c} />,
          <Val v={x.from} c={c} />,
          <Val v={x.to} c={c} />,
          <span data-field="transfer-amount">
            <Val v={x.amount} c={c} />
          </span>,
        ])}
      />
    </Section>
    <Section title={`Events (${t.events.length})`} id="events-section">
      {t.events.length ? (
        t.events.map((e) => (
          <div class="log" data-event={e.event ?? ""}>
            <h3>
              <span class="muted">{`#${e.logIndex} `}</span>
              {e.event ? <span class="event">{e.event}</span> : "unknown event"} <span class="muted">on</span> <Val v={e.address} c={c} />
            </h3>
            {e.summary.length ? (
              <p>
                <Parts parts={e.summary} c={c} />
              </p>
            ) : null}
            {e.event ? <Args fields={e.args} c={c} /> : <pre class="raw">{JSON.stringify({ topics: e.topics, data: e.data }, null, 2)}</pre>}
          </div>
        ))
      ) : (
        <p class="muted">No events.</p>
      )}
    </Section>
  </Layout>
);

export const BlocksPageView: FC<{ c: PageCtx; v: BlocksFeed }> = ({ c, v }) => (
  <Layout c={c} title="Blocks">
    <h1>Blocks</h1>
    <p class="lead">{`${v.total} blocks indexed. "Project" counts the transactions to the PoQ contracts (failed ones included) and those that emitted a PoQ event.`}</p>
    <section>
      <BlocksTable blocks={v.blocks} id="blocks" />
      <Pager base="/blocks" page={v.page} pages={v.pages} />
    </section>
  </Layout>
);

export const BlockPageView: FC<{ c: PageCtx; p: BlockPage }> = ({ c, p }) => {
  const b = p.block;
  return (
    <Layout c={c} title={`Block ${b.number}`}>
      <h1>{`Block ${b.number}`}</h1>
      <nav class="pager">
        {p.previous !== null ? <a href={`/block/${p.previous}`}>← block {String(p.previous)}</a> : null} {p.next !== null ? <a href={`/block/${p.next}`}>block {String(p.next)} →</a> : null}
      </nav>
      <Overview
        items={[
          ["Hash", <Hash h={b.hash} />],
          ["Time", <Time ts={b.time} />],
          ["Transactions", `${b.transactions} in the block, ${b.projectTransactions} to or from the project's contracts`],
          ["Gas used / limit", `${b.gasUsed} of ${b.gasLimit}`],
          ["Base fee", b.baseFee ? `${b.baseFee.gwei} gwei` : "—"],
          ["Fee recipient", <Val v={b.miner} c={c} />],
        ]}
      />
      <Section title="Project transactions" id="transactions-section">
        <TxsTable c={c} txs={p.transactions} id="transactions" />
      </Section>
    </Layout>
  );
};

export const TxsPageView: FC<{ c: PageCtx; v: TxsFeed }> = ({ c, v }) => (
  <Layout c={c} title="Transactions">
    <h1>Transactions</h1>
    <p class="lead">{`${v.total} transactions: every call to a PoQ contract (failed ones included) and every transaction that emitted a PoQ event. Fees in ETH.`}</p>
    <section>
      <TxsTable c={c} txs={v.transactions} id="txs" />
      <Pager base="/txs" page={v.page} pages={v.pages} />
    </section>
  </Layout>
);

export const TokenPageView: FC<{ c: PageCtx; t: TokenPage }> = ({ c, t }) => (
  <Layout c={c} title={`Token ${t.symbol}`}>
    <h1>
      {"Token "}
      <span id="token-name">{t.name}</span> <span class="muted" id="token-symbol">{`(${t.symbol})`}</span>
    </h1>
    <Overview
      items={[
        ["Contract", <Addr a={t.address} c={c} full />],
        ["Name", t.name],
        ["Symbol", t.symbol],
        ["Decimals", <span data-field="decimals">{String(t.decimals)}</span>],
        [
          "Total supply",
          t.totalSupply ? (
            <>
              <Amt a={t.totalSupply} c={c} field="total-supply" /> <span class="muted">{`at block ${t.asOf.block}`}</span>
            </>
          ) : (
            <span class="muted">not read</span>
          ),
        ],
        [
          "Supply from transfers",
          <>
            <Amt a={t.supplyFromTransfers} c={c} field="supply-transfers" /> <span class="muted">(minted minus burned, from the indexed Transfer events)</span>
          </>,
        ],
        ["Holders", <span data-field="holders">{String(t.holdersCount)}</span>],
        ["Transfers", <span data-field="transfers">{String(t.transfersCount)}</span>],
      ]}
    />
    <Section title="Holders" id="holders-section">
      <Table
        id="holders"
        head={["Rank", "Address", "Balance", "Share"]}
        empty="No holders."
        rows={t.holders.map((h) => [
          String(h.rank),
          h.address.kind === "address" ? (
            <span data-holder={h.address.address}>
              <Addr a={h.address.address} c={c} full />
            </span>
          ) : (
            ""
          ),
          <Amt a={h.balance} c={c} field="holder-balance" />,
          h.percent ?? "—",
        ])}
      />
    </Section>
    <Section title="Latest transfers" id="transfers-section">
      <TransfersTable c={c} rows={t.transfers} id="transfers" />
      <Pager base="/token" page={t.page} pages={t.pages} />
    </Section>
  </Layout>
);
