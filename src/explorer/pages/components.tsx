import type { Child, FC } from "hono/jsx";
import type { Address } from "viem";
import type { StatusView } from "../api";
import type { Countdown as CountdownView, EventView, Tags } from "../context";
import { qualityText, shortHex, timeReadable, timeText, trustText } from "../format";
import { groupTokens, type Amount, type Eth, type Field, type Part, type Value } from "../values";

/**
 * The building blocks of every page. Pages are Hono JSX: every interpolated value is escaped by the renderer, and
 * no component writes raw HTML.
 */

/** What every page knows besides its own data. */
export type PageCtx = { status: StatusView; tags: Tags; q?: string };

export const Layout: FC<{ c: PageCtx; title: string; children?: Child }> = ({ c, title, children }) => {
  const s = c.status;
  const behind = s.headBlock !== null && s.indexedBlock !== null ? s.headBlock - s.indexedBlock : 0;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · PoQ Explorer`}</title>
        <link rel="stylesheet" href="/static/style.css" />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">
            PoQ Explorer
          </a>
          <nav class="links">
            <a href="/">Rounds</a>
            <a href="/blocks">Blocks</a>
            <a href="/txs">Transactions</a>
            <a href="/token">Token</a>
            <a href="/challenges">Challenges</a>
            <a href="/governance">Governance</a>
          </nav>
          <form class="search" action="/search" method="get" role="search">
            <input type="search" name="q" value={c.q ?? ""} placeholder="Round, block N, address or transaction hash" aria-label="Search" autocomplete="off" spellcheck={false} />
            <button type="submit">Search</button>
          </form>
        </header>
        <div class="status" id="sync-status">
          {`Chain ${s.chainId} · latest block ${s.headBlock ?? "—"} · showing data up to block ${s.indexedBlock ?? "—"}`}
          {s.indexedAt ? (
            <>
              {" ("}
              <Time ts={s.indexedAt} />
              {")"}
            </>
          ) : null}
          {behind > 0 ? ` · a block shows here once ${s.confirmations} more block${s.confirmations === 1 ? "" : "s"} follow${s.confirmations === 1 ? "s" : ""} it` : ""}
          {` · off-chain data: ${s.storeConfigured ? "from the content store" : "no content store configured"}`}
          {s.content
            ? `, fetched over ${s.content.backend} (${s.content.connectedPeers} peer${s.content.connectedPeers === 1 ? "" : "s"} connected${s.content.archive ? "; archive: pins every round's content" : ""}; ${s.content.roundsWaiting} round${s.content.roundsWaiting === 1 ? "" : "s"} waiting for content)`
            : ""}
        </div>
        <main>{children}</main>
        <footer>
          {`PoQ Settle explorer · token amounts in ${s.token.symbol} (${s.token.decimals} decimals; hover for base units) · ETH amounts in ether, gas prices in gwei · quality 0–10 · trust 0–1 · times in UTC · `}
          <a href="/api/status">JSON API</a>
        </footer>
        <script src="/static/explorer.js" defer></script>
      </body>
    </html>
  );
};

/** Renders a page to a complete HTML document. */
export function document(page: Child): string {
  return `<!doctype html>\n${String(page)}`;
}

export const Addr: FC<{ a: string | null | undefined; c: PageCtx; full?: boolean }> = ({ a, c, full }) => {
  if (!a) return <span class="muted">—</span>;
  const tag = c.tags.tagOf(a as Address);
  return (
    <a class="addr" href={`/address/${a}`} title={a}>
      {tag ? <span class="tag">{tag}</span> : null}
      <span class="mono">{full ? a : shortHex(a, 8, 6)}</span>
    </a>
  );
};

export const TxLink: FC<{ h: string | null | undefined; full?: boolean }> = ({ h, full }) =>
  h ? (
    <a class="tx mono" href={`/tx/${h}`} title={h}>
      {full ? h : shortHex(h, 10, 6)}
    </a>
  ) : (
    <span class="muted">—</span>
  );

export const RoundLink: FC<{ id: number | string }> = ({ id }) => <a href={`/round/${id}`}>{`#${id}`}</a>;

export const BlockLink: FC<{ n: number | null | undefined }> = ({ n }) =>
  n === null || n === undefined ? (
    <span class="muted">—</span>
  ) : (
    <a class="block" href={`/block/${n}`}>
      {String(n)}
    </a>
  );

export const Hash: FC<{ h: string | null | undefined; id?: string }> = ({ h, id }) =>
  h ? (
    <code class="hash" id={id} title={h}>
      {h}
    </code>
  ) : (
    <span class="muted">—</span>
  );

/** A content identifier: bytes anyone may write, shown as text when printable (escaped like every value) and as hex. */
export const Cid: FC<{ hex: string | null | undefined; text?: string | null }> = ({ hex, text }) =>
  hex ? (
    <span class="cid" data-cid={hex}>
      {text ? <span class="cid-text">{text}</span> : null} <code class="hash">{hex}</code>
    </span>
  ) : (
    <span class="muted">—</span>
  );

export const Time: FC<{ ts: number | null | undefined }> = ({ ts }) => (ts === null || ts === undefined ? <span class="muted">—</span> : <time datetime={timeText(ts)}>{timeReadable(ts)}</time>);

/** A token amount: token units (every decimal, grouped) with the base units in `data-wei` and the tooltip. */
export const Amt: FC<{ a: Amount | null | undefined; c: PageCtx; field?: string }> = ({ a, c, field }) =>
  a ? (
    <span class="amount" data-field={field} data-wei={a.wei} title={`${a.wei} base units`}>
      {groupTokens(a.tokens)} <span class="unit">{c.status.token.symbol}</span>
    </span>
  ) : (
    <span class="muted" data-field={field}>
      —
    </span>
  );

export const EthAmt: FC<{ a: Eth | null | undefined; field?: string }> = ({ a, field }) =>
  a ? (
    <span class="amount" data-field={field} data-wei={a.wei} title={`${a.wei} wei`}>
      {groupTokens(a.ether)} <span class="unit">ETH</span>
    </span>
  ) : (
    <span class="muted">—</span>
  );

/** A dash for a missing value, else the value rendered. */
const orDash = <T,>(v: T | null | undefined, render: (v: T) => Child) => (v === null || v === undefined ? <span class="muted">—</span> : render(v));

export const Quality: FC<{ q: number | null | undefined }> = ({ q }) =>
  orDash(q, (x) => (
    <span class="score" data-quality={String(x)}>
      {qualityText(x)}
    </span>
  ));

export const Trust: FC<{ ppm: number | null | undefined }> = ({ ppm }) =>
  orDash(ppm, (x) => (
    <span class="trust" data-ppm={String(x)}>
      {trustText(x)}
    </span>
  ));

export const Badge: FC<{ text: string; kind?: string }> = ({ text, kind }) => <span class={`badge badge-${(kind ?? text).replace(/[^a-z0-9-]/gi, "-")}`}>{text}</span>;

export const PhaseBadge: FC<{ phase: string }> = ({ phase }) => <Badge text={phase} kind={`phase-${phase}`} />;

export const StatusBadge: FC<{ status: string }> = ({ status }) => (status === "success" ? <Badge text="success" kind="ok" /> : <Badge text={status} kind="bad" />);

export const YesNo: FC<{ b: boolean }> = ({ b }) => (b ? <span class="yes">yes</span> : <span class="no">no</span>);

/** A deadline: server-rendered sentence; the script only refreshes the remaining time every second. */
export const Countdown: FC<{ d: CountdownView | null | undefined }> = ({ d }) =>
  d ? (
    <span class="countdown" data-deadline={String(d.at.kind === "time" ? d.at.unix : 0)} data-now={String(d.estimatedNow)}>
      <span class="what">{d.what}</span> <span class="left">{d.text}</span> <span class="muted">(at {d.at.kind === "time" ? timeReadable(d.at.unix) : ""})</span>
    </span>
  ) : null;

/** One typed value. */
export const Val: FC<{ v: Value; c: PageCtx }> = ({ v, c }) => {
  switch (v.kind) {
    case "address":
      return <Addr a={v.address} c={c} full />;
    case "token":
      return <Amt a={v} c={c} />;
    case "eth":
      return <EthAmt a={v} />;
    case "enum":
      return (
        <span class="enum" data-enum={v.type} data-value={String(v.value)}>
          {v.name}
        </span>
      );
    case "time":
      return <Time ts={v.unix} />;
    case "round":
      return <RoundLink id={v.id} />;
    case "block":
      return <BlockLink n={v.number} />;
    case "duration":
      return (
        <span class="duration" data-seconds={String(v.seconds)} title={`${v.seconds} s`}>
          {v.text}
        </span>
      );
    case "cid":
      return <Cid hex={v.hex} text={v.text} />;
    case "bps":
      return <span>{v.percent}</span>;
    case "hex":
      return <code class="hash">{v.hex}</code>;
    case "number":
      return <span class="num">{v.value}</span>;
    case "bool":
      return <YesNo b={v.value} />;
    case "text":
      return <span class="text">{v.text}</span>;
    case "list":
      return v.items.length ? (
        <ol class="args-list">
          {v.items.map((x) => (
            <li>
              <Val v={x} c={c} />
            </li>
          ))}
        </ol>
      ) : (
        <span class="muted">[]</span>
      );
    case "struct":
      return <Args fields={v.fields} c={c} />;
  }
};

export const Args: FC<{ fields: Field[]; c: PageCtx }> = ({ fields, c }) =>
  fields.length ? (
    <table class="args">
      <tbody>
        {fields.map((f) => (
          <tr>
            <th>{f.name}</th>
            <td>
              <Val v={f.value} c={c} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  ) : (
    <span class="muted">no arguments</span>
  );

/** A sentence of text and typed values (addresses shortened). */
export const Parts: FC<{ parts: Part[]; c: PageCtx }> = ({ parts, c }) => (
  <span class="summary">{parts.map((x) => (typeof x === "string" ? x : x.kind === "address" ? <Addr a={x.address} c={c} /> : <Val v={x} c={c} />))}</span>
);

/** A table with a header row; `empty` is shown instead when there are no rows. */
export const Table: FC<{ id: string; head: string[]; rows: Child[][]; empty?: string; class?: string }> = ({ id, head, rows, empty, class: cls }) =>
  rows.length === 0 ? (
    <p class="muted" id={id}>
      {empty ?? "None."}
    </p>
  ) : (
    <div class="scroll">
      <table id={id} class={cls}>
        <thead>
          <tr>
            {head.map((h) => (
              <th>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              {r.map((cell) => (
                <td>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );

export const Facts: FC<{ id?: string; items: [string, Child][] }> = ({ id, items }) => (
  <dl class="facts" id={id}>
    {items.map(([k, v]) => (
      <>
        <dt>{k}</dt>
        <dd>{v}</dd>
      </>
    ))}
  </dl>
);

export const Section: FC<{ title: string; id?: string; children?: Child }> = ({ title, id, children }) => (
  <section id={id}>
    <h2>{title}</h2>
    {children}
  </section>
);

/** Facts that are token amounts: label, amount, and the `data-field` that tests and scripts find it by. */
export function amountFacts(c: PageCtx, rows: [string, Amount | null | undefined, string][]): [string, Child][] {
  return rows.map(([label, a, field]) => [label, <Amt a={a} c={c} field={field} />]);
}

/** The overview of a page: a section of facts. */
export const Overview: FC<{ items: [string, Child][] }> = ({ items }) => (
  <Section title="Overview" id="overview-section">
    <Facts id="overview" items={items} />
  </Section>
);

/** A section holding one table (id `name`, the section `name-section`) and whatever follows it. */
export const TableSection: FC<{ name: string; title: string; head: string[]; rows: Child[][]; empty?: string; children?: Child }> = (p) => (
  <Section title={p.title} id={`${p.name}-section`}>
    <Table id={p.name} head={p.head} rows={p.rows} empty={p.empty} />
    {p.children}
  </Section>
);

/** The events of a round or an address, one sentence each. */
export const EventsSection: FC<{ c: PageCtx; events: EventView[] }> = ({ c, events }) => (
  <TableSection
    name="events"
    title="Events"
    head={["Block", "Time", "Contract", "Event", "Details", "Transaction"]}
    rows={events.map((e) => [<BlockLink n={e.block} />, <Time ts={e.time} />, e.contract, <span class="event">{e.event}</span>, <Parts parts={e.summary} c={c} />, <TxLink h={e.tx} />])}
  />
);

/** Executed slashes, first by round (an address page) or by evaluator (a round page), then role, reason, amount, recipient, block, transaction. */
export const SlashesSection: FC<{
  c: PageCtx;
  by: "round" | "evaluator";
  empty: string;
  slashes: { round?: number; evaluator?: string; role: string; reasonText: string; amount: Amount; recipient: string; block: number; tx: string }[];
  children?: Child;
}> = ({ c, by, empty, slashes, children }) => (
  <TableSection
    name="slashes"
    title="Slashes"
    head={[by === "round" ? "Round" : "Evaluator", "Role", "Reason", "Amount", "Recipient", "Block", "Transaction"]}
    empty={empty}
    rows={slashes.map((x) => [
      by === "round" ? (
        <span data-round={String(x.round)}>
          <RoundLink id={x.round ?? 0} />
        </span>
      ) : (
        <span data-account={x.evaluator}>
          <Addr a={x.evaluator} c={c} full />
        </span>
      ),
      x.role,
      <span class="reason">{x.reasonText}</span>,
      <Amt a={x.amount} c={c} field="slash-amount" />,
      <Addr a={x.recipient} c={c} />,
      <BlockLink n={x.block} />,
      <TxLink h={x.tx} />,
    ])}
  >
    {children}
  </TableSection>
);

export const Pager: FC<{ base: string; page: number; pages: number }> = ({ base, page, pages }) =>
  pages > 1 ? (
    <nav class="pager">
      {page > 1 ? <a href={`${base}?page=${page - 1}`}>← newer</a> : null} {`page ${page} of ${pages}`} {page < pages ? <a href={`${base}?page=${page + 1}`}>older →</a> : null}
    </nav>
  ) : null;

export const ErrorPage: FC<{ c: PageCtx; code: number; message: string }> = ({ c, code, message }) => {
  const title = code === 404 ? "Not found" : code === 400 ? "Bad request" : "Error";
  return (
    <Layout c={c} title={title}>
      <section class="error" id="error" data-status={String(code)}>
        <h1>{title}</h1>
        <p class="message">{message}</p>
        <p>
          Search for a round number, a block, an address or a transaction hash above, or go back to the <a href="/">list of rounds</a>.
        </p>
      </section>
    </Layout>
  );
};
