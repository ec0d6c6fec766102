import type { AddressPage, RoundPage, RoundsView, StatusView, TxEvent, TxPage } from "./api";
import type { Json } from "./decode";
import { groupTokens, roleText, scoreText, shortHex, slashReasonText, timeText, trustText, type Amount } from "./format";

/**
 * Server-rendered pages: plain HTML with a local stylesheet and one small script (copy buttons, "/" to search).
 * Everything works without JavaScript; every value from the chain or the store is escaped.
 */

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function esc(v: unknown): string {
  const s = typeof v === "string" ? v : String(v ?? "");
  return /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESCAPES[c]) : s;
}

type Ctx = { status: StatusView };

const isAddr = (v: unknown): boolean => typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v);

function addr(a: string | null | undefined, full = false): string {
  if (!a) return "—";
  return `<a class="addr mono" href="/address/${esc(a)}" title="${esc(a)}">${esc(full ? a : shortHex(a, 8, 6))}</a>`;
}

function txLink(h: string | null | undefined, full = false): string {
  if (!h) return "—";
  return `<a class="tx mono" href="/tx/${esc(h)}" title="${esc(h)}">${esc(full ? h : shortHex(h, 10, 6))}</a>`;
}

function roundLink(id: number | string): string {
  return `<a href="/round/${esc(id)}">#${esc(id)}</a>`;
}

function hash(h: string | null | undefined): string {
  return h ? `<code class="hash" title="${esc(h)}">${esc(h)}</code>` : "—";
}

function amt(c: Ctx, a: Amount | null | undefined, field?: string): string {
  if (!a) return `<span class="muted"${field ? ` data-field="${esc(field)}"` : ""}>—</span>`;
  return `<span class="amount"${field ? ` data-field="${esc(field)}"` : ""} data-wei="${esc(a.wei)}" title="${esc(a.wei)} base units">${esc(groupTokens(a.tokens))}&nbsp;<span class="unit">${esc(c.status.token.symbol)}</span></span>`;
}

function time(ts: number | null | undefined): string {
  if (ts === null || ts === undefined) return "—";
  return `<time datetime="${esc(timeText(ts))}">${esc(timeText(ts).replace("T", " ").replace("Z", " UTC"))}</time>`;
}

function block(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : `<span class="block">${esc(n)}</span>`;
}

function trust(ppm: number | null | undefined): string {
  return ppm === null || ppm === undefined ? "—" : `<span class="trust" data-ppm="${esc(ppm)}">${esc(trustText(ppm))}</span>`;
}

function score(s: number | null | undefined): string {
  return s === null || s === undefined ? "—" : `<span class="score" data-score="${esc(s)}">${esc(scoreText(Math.round(s)))}</span>`;
}

function badge(text: string, kind = text): string {
  return `<span class="badge badge-${esc(kind.replace(/[^a-z0-9-]/gi, "-"))}">${esc(text)}</span>`;
}

function yesNo(b: boolean): string {
  return b ? `<span class="yes">yes</span>` : `<span class="no">no</span>`;
}

function table(id: string, head: string[], rows: string[][], empty = "None."): string {
  if (rows.length === 0) return `<p class="muted" id="${esc(id)}">${esc(empty)}</p>`;
  return `<div class="scroll"><table id="${esc(id)}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table></div>`;
}

function dl(items: [string, string][], id?: string): string {
  return `<dl class="facts"${id ? ` id="${esc(id)}"` : ""}>${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

function section(title: string, body: string, id?: string): string {
  return `<section${id ? ` id="${esc(id)}"` : ""}><h2>${esc(title)}</h2>${body}</section>`;
}

/** Argument names whose values are token amounts in base units. */
const AMOUNT_ARGS = new Set([
  "amount",
  "active",
  "queued",
  "inferenceAmount",
  "evaluatorAmount",
  "cumulativeAmount",
  "cumulativeTotal",
  "inferencePaid",
  "evaluatorPaid",
  "slashedTotal",
  "minimum",
  "paid",
  "value",
]);
const TIME_ARGS = new Set(["commitDeadline", "revealDeadline", "challengeEnd", "unlockTime"]);

function value(c: Ctx, name: string, v: Json): string {
  if (v === null) return "—";
  if (Array.isArray(v)) {
    if (v.length === 0) return `<span class="muted">[]</span>`;
    return `<ol class="args-list">${v.map((x) => `<li>${value(c, name, x)}</li>`).join("")}</ol>`;
  }
  if (typeof v === "object") return argsTable(c, v);
  if (isAddr(v)) return addr(v as string, true);
  if (typeof v === "string" && AMOUNT_ARGS.has(name) && /^\d+$/.test(v)) return `${amt(c, { wei: v, tokens: tokensOf(v, c.status.token.decimals) })}`;
  if (typeof v === "string" && TIME_ARGS.has(name) && /^\d+$/.test(v)) return `${time(Number(v))} <span class="muted">(${esc(v)})</span>`;
  if (name === "roundId" && typeof v === "string") return roundLink(v);
  if (name === "role" && (typeof v === "number" || typeof v === "string")) return `${esc(v)} <span class="muted">(${esc(roleText(Number(v)))})</span>`;
  if (name === "reason" && (typeof v === "number" || typeof v === "string")) return `${esc(v)} <span class="muted">(${esc(slashReasonText(Number(v)))})</span>`;
  if (typeof v === "string" && v.startsWith("0x")) return `<code class="hash">${esc(v)}</code>`;
  return `<span>${esc(v)}</span>`;
}

function tokensOf(wei: string, decimals: number): string {
  const s = wei.padStart(decimals + 1, "0");
  const i = s.slice(0, s.length - decimals);
  const f = s.slice(s.length - decimals).replace(/0+$/, "");
  return f ? `${i}.${f}` : i;
}

function argsTable(c: Ctx, args: Record<string, Json>): string {
  const keys = Object.keys(args);
  if (keys.length === 0) return `<span class="muted">no arguments</span>`;
  return `<table class="args"><tbody>${keys.map((k) => `<tr><th>${esc(k)}</th><td>${value(c, k, args[k])}</td></tr>`).join("")}</tbody></table>`;
}

export function layout(c: Ctx, title: string, body: string, q = ""): string {
  const s = c.status;
  const lag = s.headBlock !== null && s.indexedBlock !== null ? s.headBlock - s.indexedBlock : null;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · PoQ Explorer</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<header class="top">
  <a class="brand" href="/">PoQ Explorer</a>
  <form class="search" action="/search" method="get" role="search">
    <input type="search" name="q" value="${esc(q)}" placeholder="Round number, address or transaction hash" aria-label="Search" autocomplete="off" spellcheck="false">
    <button type="submit">Search</button>
  </form>
</header>
<div class="status" id="sync-status">chain ${esc(s.chainId)} · indexed to block ${esc(s.indexedBlock ?? "—")}${s.indexedAt ? ` (${time(s.indexedAt)})` : ""} · head ${esc(s.headBlock ?? "—")}${
    lag !== null && lag > 0 ? ` · ${esc(lag)} block${lag === 1 ? "" : "s"} awaiting ${esc(s.confirmations)} confirmation${s.confirmations === 1 ? "" : "s"}` : ""
  } · content store ${s.storeConfigured ? "configured" : "not configured"}</div>
<main>
${body}
</main>
<footer>PoQ Settle explorer · amounts in ${esc(s.token.symbol)} (token units, ${esc(s.token.decimals)} decimals; hover for base units) · <a href="/api/status">JSON API</a></footer>
<script src="/static/explorer.js" defer></script>
</body>
</html>
`;
}

export function errorPage(c: Ctx, code: number, message: string, q = ""): string {
  const title = code === 404 ? "Not found" : code === 400 ? "Bad request" : "Error";
  return layout(
    c,
    title,
    `<section class="error" id="error" data-status="${esc(code)}"><h1>${esc(title)}</h1><p class="message">${esc(message)}</p><p>Search for a round number, an address or a transaction hash above, or go back to the <a href="/">list of rounds</a>.</p></section>`,
    q,
  );
}

function phaseBadge(p: string): string {
  return badge(p, `phase-${p}`);
}

export function roundsPage(c: Ctx, v: RoundsView): string {
  const s = c.status;
  const rows = v.rounds.map((r) => [
    `<span data-field="round">${roundLink(r.id)}</span>`,
    phaseBadge(r.phase),
    `<span data-field="tasks">${esc(r.tasks)}</span>`,
    `${esc(r.commits)} / ${esc(r.reveals)}`,
    amt(c, r.inferencePool, "inference-pool"),
    amt(c, r.evaluatorPool, "evaluator-pool"),
    amt(c, r.inferencePaid, "inference-paid"),
    amt(c, r.evaluatorPaid, "evaluator-paid"),
    `${amt(c, r.slashedTotal, "slashed-total")}${r.slashCount ? ` <span class="muted">(${esc(r.slashCount)})</span>` : ""}`,
    r.meanConsensus === null ? "—" : score(r.meanConsensus),
    `${block(r.registeredBlock)}<br>${time(r.registeredAt)}`,
  ]);
  const pager =
    v.pages > 1
      ? `<nav class="pager">${v.page > 1 ? `<a href="/?page=${v.page - 1}">← newer</a>` : ""} page ${esc(v.page)} of ${esc(v.pages)} ${v.page < v.pages ? `<a href="/?page=${v.page + 1}">older →</a>` : ""}</nav>`
      : "";
  const contracts = dl(s.contracts.map((x) => [x.label, addr(x.address, true)]));
  return layout(
    c,
    "Rounds",
    `<h1>Rounds</h1>
<p class="lead">${esc(v.total)} round${v.total === 1 ? "" : "s"}. Every round: tasks registered, evaluators commit and reveal scores, relayers settle, rewards become claimable and low-trust or silent evaluators are slashed.</p>
<section id="rounds-section">${table("rounds", ["Round", "Phase", "Tasks", "Commits / reveals", "Inference pool", "Evaluator pool", "Inference paid", "Evaluator paid", "Slashed", "Mean quality", "Registered"], rows, "No rounds yet.")}
${pager}</section>
${section("Contracts", contracts, "contracts")}`,
  );
}

function contentNote(p: RoundPage): string {
  const c = p.content;
  if (!c.storeConfigured) {
    return `<p class="note" id="content-note">No content store configured (<code>--store</code>): per-task consensus, trust, rewards and claim proofs come from the relayers' published settlement payload and are not shown. Scores, totals and slashes below come from the chain alone.</p>`;
  }
  const parts: string[] = [];
  if (c.payload === "missing") parts.push("the settlement payload is not in the content store yet");
  if (c.manifest === "missing") parts.push("the batch manifest is not in the content store");
  if (c.note) parts.push(c.note);
  return parts.length ? `<p class="note" id="content-note">${esc(parts.join("; "))}.</p>` : "";
}

export function roundPage(c: Ctx, p: RoundPage): string {
  const r = p.round;
  const overview = dl(
    [
      ["Phase", `${phaseBadge(r.phase)} <span class="muted">as of block ${esc(r.asOf.block ?? "—")}, ${time(r.asOf.time)}</span>`],
      ["Tasks", `<span data-field="tasks">${esc(r.tasks)}</span> (k = ${esc(r.k)} evaluators per task)`],
      ["Registered", `block ${block(r.registeredBlock)} · ${time(r.registeredAt)} · by ${addr(r.relayer)} · ${txLink(r.registeredTx)}`],
      ["Settlement attempt", `${esc(r.attempt)}${r.vetoes ? ` · ${esc(r.vetoes)} veto${r.vetoes === 1 ? "" : "es"}` : ""}`],
      ["Parameter version", esc(r.paramsVersion)],
      ["Task root", hash(r.taskRoot)],
      ["Seed", hash(r.seed)],
      ["Assignment root", `${hash(r.assignmentRoot)}${r.assignment === "verified" ? ` ${badge("recomputed and verified", "ok")}` : r.assignment === "mismatch" ? ` ${badge("recomputation differs", "warn")}` : ""}`],
      ["Accepted settlement", hash(r.settlementHash)],
      ["Rewards root", hash(r.rewardsRoot)],
      ["Trust root", hash(r.trustRoot)],
      ["Inputs hash", hash(r.inputsHash)],
    ],
    "overview",
  );
  const totals = dl(
    [
      ["Inference pool", amt(c, r.inferencePool, "inference-pool")],
      ["Evaluator pool", amt(c, r.evaluatorPool, "evaluator-pool")],
      ["Inference paid", amt(c, r.inferencePaid, "inference-paid")],
      ["Evaluator paid", amt(c, r.evaluatorPaid, "evaluator-paid")],
      ["Cumulative total (all rounds)", amt(c, r.cumulativeTotal, "cumulative-total")],
      ["Slashed", amt(c, r.slashedTotal, "slashed-total")],
      ["Mean consensus quality", r.meanConsensus === null ? "—" : score(r.meanConsensus)],
    ],
    "totals",
  );
  const timeline = table(
    "timeline",
    ["Phase", "Attempt", "Started", "First block", "Ends / ended", "Opened by"],
    p.timeline.map((t) => [phaseBadge(t.phase), esc(t.attempt), time(t.startTime), block(t.startBlock), time(t.endTime), t.tx ? `${esc(t.via)} ${txLink(t.tx)}` : esc(t.via)]),
  );
  const funding = table(
    "funding",
    ["Funder", "Inference", "Evaluator", "Block", "Transaction"],
    p.funding.map((f) => [addr(f.funder), amt(c, f.inference), amt(c, f.evaluator), block(f.block), txLink(f.tx)]),
    "Not funded.",
  );
  const settlements = table(
    "settlements",
    ["Relayer", "Attempt", "Commitment", "Revealed settlement hash", "Status", "Commit", "Reveal"],
    p.settlements.map((x) => [
      addr(x.relayer),
      esc(x.attempt),
      `<code class="hash" title="${esc(x.commitment)}">${esc(shortHex(x.commitment, 10, 6))}</code>`,
      x.settlementHash ? `<code class="hash" data-field="settlement-hash">${esc(x.settlementHash)}</code>` : `<span class="muted">not revealed</span>`,
      x.final ? badge("finalized", "ok") : x.accepted ? badge("accepted", "ok") : x.settlementHash ? badge("revealed") : badge("committed"),
      txLink(x.commitTx),
      txLink(x.revealTx),
    ]),
    "No settlement committed yet.",
  );
  const vetoes = p.vetoes.length
    ? section(
        "Vetoes",
        table(
          "vetoes",
          ["Guardian", "Settlement", "Kind", "New attempt", "Time", "Transaction"],
          p.vetoes.map((v) => [addr(v.guardian), hash(v.settlementHash), v.reset ? "reset of an attempt without quorum" : "veto of the accepted settlement", esc(v.newAttempt), time(v.time), txLink(v.tx)]),
        ),
        "vetoes-section",
      )
    : "";
  const evaluators = table(
    "evaluators",
    ["Evaluator", "Tasks", "Committed", "Revealed", "Mean score", "Trust after", "Reward", "Slashed"],
    p.evaluators.map((e) => [
      addr(e.address),
      esc(e.assignedTasks ?? "—"),
      yesNo(e.committed),
      yesNo(e.revealed),
      score(e.meanScore),
      trust(e.trustPpm),
      amt(c, e.reward),
      e.slash ? `${amt(c, e.slash.amount)} <span class="reason">(${esc(e.slash.reasonText)})</span>` : "—",
    ]).map((row, i) => row.map((cell, j) => (j === 0 ? `<span data-evaluator="${esc(p.evaluators[i].address)}">${cell}</span>` : cell))),
    "No evaluators yet.",
  );
  const rewards = table(
    "rewards",
    ["Account", "Role", "Reward this round"],
    p.rewards.map((x) => [`<span data-account="${esc(x.account)}">${addr(x.account, true)}</span>`, esc(x.role), amt(c, x.amount, "reward")]),
    p.content.payload === "loaded" ? "No rewards." : "Rewards per account are in the settlement payload, which is not available.",
  );
  const slashes = table(
    "slashes",
    ["Evaluator", "Role", "Reason", "Amount", "Recipient", "Block", "Transaction"],
    p.slashes.map((x) => [`<span data-account="${esc(x.evaluator)}">${addr(x.evaluator, true)}</span>`, esc(x.role), `<span class="reason">${esc(x.reasonText)}</span>`, amt(c, x.amount, "slash-amount"), addr(x.recipient), block(x.block), txLink(x.tx)]),
    "No slashes executed.",
  );
  const proposed = p.proposedSlashes.length
    ? `<h3>Slash list of the accepted settlement</h3>${table(
        "proposed-slashes",
        ["Evaluator", "Reason", "Outcome"],
        p.proposedSlashes.map((x) => [addr(x.evaluator, true), esc(x.reasonText), esc(x.outcome)]),
      )}`
    : "";
  const evalCols = [...new Set(p.tasks.flatMap((t) => t.scores.map((s) => s.evaluator)))];
  const tasks = p.tasks.length
    ? `<div class="scroll"><table id="tasks" class="dense"><thead><tr><th>Task</th><th>Inference node</th><th>Model</th><th>Cost units</th><th>Consensus</th><th>Evaluator scores</th></tr></thead><tbody>${p.tasks
        .map(
          (t) =>
            `<tr data-task="${t.index}"><td>${esc(t.index)}</td><td>${addr(t.node)}</td><td>${esc(t.model ?? "—")}</td><td>${esc(t.costUnits ?? "—")}</td><td>${score(t.consensus)}${
              t.bad ? ` <span class="badge badge-warn" title="${esc(t.bad)}">bad output</span>` : ""
            }</td><td class="scores">${t.scores.map((s) => `<a class="chip" href="/address/${esc(s.evaluator)}">${esc(s.evaluator.slice(0, 6))}&nbsp;${scoreText(s.score)}</a>`).join(" ")}</td></tr>`,
        )
        .join("")}</tbody></table></div><p class="muted">${esc(p.tasks.length)} tasks, ${esc(evalCols.length)} evaluators with revealed scores. Scores are quality 0–10.</p>`
    : `<p class="muted" id="tasks">${
        p.round.assignment === "mismatch" ? "Per-task scores need the assignment, whose recomputation differs from the accepted root." : "No per-task data yet (scores appear after reveals; consensus with the settlement payload)."
      }</p>`;
  const events = table(
    "events",
    ["Block", "Time", "Contract", "Event", "Details", "Transaction"],
    p.events.map((e) => [block(e.block), time(e.time), esc(e.contract), `<span class="event">${esc(e.event)}</span>`, eventSummary(c, e.event, e.args), txLink(e.tx)]),
  );
  return layout(
    c,
    `Round ${r.id}`,
    `<h1>Round ${esc(r.id)} ${phaseBadge(r.phase)}</h1>
${contentNote(p)}
${section("Overview", overview, "overview-section")}
${section("Timeline", timeline, "timeline-section")}
${section("Totals", totals, "totals-section")}
${section("Funding", funding, "funding-section")}
${section("Settlement hashes per relayer", settlements, "settlements-section")}
${vetoes}
${section("Evaluators", evaluators, "evaluators-section")}
${section("Rewards", rewards, "rewards-section")}
${section("Slashes", slashes + proposed, "slashes-section")}
${section("Tasks: consensus and evaluator scores", tasks, "tasks-section")}
${section("Events", events, "events-section")}`,
  );
}

/** One line about an event, for lists. */
function eventSummary(c: Ctx, event: string, a: Record<string, Json>): string {
  const am = (k: string) => amt(c, { wei: String(a[k]), tokens: tokensOf(String(a[k]), c.status.token.decimals) });
  switch (event) {
    case "TasksRegistered":
      return `${esc(a.taskCount)} tasks by ${addr(a.relayer as string)}`;
    case "AssignmentProposed":
      return `${addr(a.relayer as string)} votes (${esc(a.votes)})`;
    case "AssignmentAccepted":
      return `commit until ${time(Number(a.commitDeadline))}, reveal until ${time(Number(a.revealDeadline))}`;
    case "ScoresCommitted":
    case "ScoresRevealed":
      return addr(a.evaluator as string);
    case "SettlementCommitted":
      return `${addr(a.relayer as string)}, attempt ${esc(a.attempt)}`;
    case "SettlementRevealed":
      return `${addr(a.relayer as string)}: <code class="hash">${esc(shortHex(String(a.settlementHash), 10, 6))}</code>`;
    case "SettlementAccepted":
      return `challenge until ${time(Number(a.challengeEnd))}`;
    case "SettlementVetoed":
      return `by ${addr(a.guardian as string)}, new attempt ${esc(a.newAttempt)}`;
    case "RoundFinalized":
      return `by ${addr(a.caller as string)}, slashed ${am("slashedTotal")}`;
    case "RoundCancelled":
      return `by ${addr(a.guardian as string)}`;
    case "RoundFunded":
      return `${am("inferenceAmount")} + ${am("evaluatorAmount")} by ${addr(a.funder as string)}`;
    case "RootUpdated":
      return `paid ${am("inferencePaid")} + ${am("evaluatorPaid")}`;
    case "Slashed":
      return `${addr(a.account as string)} ${am("amount")} (reason ${esc(a.reason)})`;
    case "SlashSkipped":
      return `${addr(a.evaluator as string)} skipped`;
    case "Claimed":
      return `${addr(a.account as string)} ${am("amount")}`;
    case "Staked":
      return `${am("amount")} (active ${am("active")})`;
    case "UnstakeRequested":
      return `${am("amount")} (queued ${am("queued")}, unlocks ${time(Number(a.unlockTime))})`;
    case "Withdrawn":
      return am("amount");
    default:
      return "";
  }
}

/** Trust over rounds as an inline SVG line chart (no script needed). */
export function trustChart(points: { round: number; trustPpm: number }[]): string {
  if (points.length === 0) return `<p class="muted" id="trust-chart">No trust recorded (trust is in the settlement payloads).</p>`;
  const W = 640;
  const H = 220;
  const L = 48;
  const R = 16;
  const T = 14;
  const B = 34;
  const minR = points[0].round;
  const maxR = points[points.length - 1].round;
  const x = (r: number) => (maxR === minR ? L + (W - L - R) / 2 : L + ((r - minR) / (maxR - minR)) * (W - L - R));
  const y = (ppm: number) => T + (1 - ppm / 1e6) * (H - T - B);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((v) => `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v * 1e6).toFixed(1)}" y2="${y(v * 1e6).toFixed(1)}"/><text class="tick" x="${L - 6}" y="${(y(v * 1e6) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(2)}</text>`)
    .join("");
  const xticks = points.map((p) => `<text class="tick" x="${x(p.round).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${esc(p.round)}</text>`).join("");
  const line = points.map((p) => `${x(p.round).toFixed(1)},${y(p.trustPpm).toFixed(1)}`).join(" ");
  const dots = points
    .map((p) => `<circle class="point" cx="${x(p.round).toFixed(1)}" cy="${y(p.trustPpm).toFixed(1)}" r="4" data-round="${esc(p.round)}" data-ppm="${esc(p.trustPpm)}"><title>Round ${esc(p.round)}: trust ${esc(trustText(p.trustPpm))}</title></circle>`)
    .join("");
  return `<figure class="chart" id="trust-chart"><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Trust over rounds">${grid}${xticks}<text class="axis" x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle">round</text><polyline class="line" points="${line}"/>${dots}</svg><figcaption>Trust after each round (0–1), from the settlement payloads; the trust root of each is checked on chain.</figcaption></figure>`;
}

export function addressPageHtml(c: Ctx, p: AddressPage): string {
  const overview = dl(
    [
      ["Address", `<code class="hash" id="address">${esc(p.address)}</code>`],
      ["Roles", p.roles.length ? p.roles.map((r) => badge(r, "role")).join(" ") : `<span class="muted">none</span>`],
      ...(p.contract ? ([["Contract", esc(p.contract.label)]] as [string, string][]) : []),
      ["Total rewards", amt(c, p.totalRewards, "total-rewards")],
    ],
    "overview",
  );
  const stakes = table(
    "stakes",
    ["Role", "Active", "Unbonding", "Unlocks", "Slashed", "Staked in total", "Withdrawn"],
    p.stakes.map((s) => [
      `<span data-role="${esc(s.role)}">${esc(s.role)}</span>`,
      amt(c, s.active, "stake-active"),
      amt(c, s.queued, "stake-queued"),
      s.unlockTime === null ? "—" : `${time(s.unlockTime)}${s.withdrawable ? ` ${badge("withdrawable", "ok")}` : ""}`,
      amt(c, s.slashed, "stake-slashed"),
      amt(c, s.staked),
      amt(c, s.withdrawn),
    ]),
    "No stake.",
  );
  const cl = p.claimable;
  const claimable =
    cl.claimable === null
      ? `<p class="note" id="claimable">${esc(cl.note ?? "unknown")}. Already claimed: ${amt(c, cl.claimed, "claimed")}.</p>`
      : `${dl(
          [
            ["Claimable now", amt(c, cl.claimable, "claimable")],
            ["Cumulative amount in the current root", amt(c, cl.cumulative, "cumulative")],
            ["Claimed so far", amt(c, cl.claimed, "claimed")],
            ["Root installed by round", cl.rootRound === null ? "—" : roundLink(cl.rootRound)],
          ],
          "claimable",
        )}${
          cl.proof && cl.proof.length
            ? `<details class="proof" open><summary>Merkle proof (${esc(cl.proof.length)} nodes) for <code>claim(account, cumulativeAmount, proof)</code></summary><ol id="proof">${cl.proof
                .map((h) => `<li><code class="hash">${esc(h)}</code></li>`)
                .join("")}</ol><button type="button" class="copy" data-copy="${esc(JSON.stringify({ account: p.address, cumulativeAmount: cl.cumulative?.wei, proof: cl.proof }))}">Copy claim arguments</button></details>`
            : cl.note
              ? `<p class="muted">${esc(cl.note)}.</p>`
              : ""
        }`;
  const trustRows = table(
    "trust",
    ["Round", "Trust after the round", "Rounds below threshold in a row"],
    p.trust.map((t) => [roundLink(t.round), trust(t.trustPpm), esc(t.lowStreak)]),
    "No trust recorded.",
  );
  const rewards = table("rewards", ["Round", "Reward"], p.rewards.map((r) => [roundLink(r.round), amt(c, r.amount, "reward")]), "No rewards.");
  const claims = table(
    "claims",
    ["Root of round", "Paid", "Cumulative", "Claimed by", "Time", "Transaction"],
    p.claims.map((x) => [roundLink(x.rootRound), amt(c, x.amount, "claim-amount"), amt(c, x.cumulative), addr(x.caller), time(x.time), txLink(x.tx)]),
    "No claims.",
  );
  const slashes = table(
    "slashes",
    ["Round", "Role", "Reason", "Amount", "Recipient", "Time", "Transaction"],
    p.slashes.map((x) => [
      `<span data-round="${esc(x.round)}">${roundLink(x.round)}</span>`,
      esc(x.role),
      `<span class="reason">${esc(x.reasonText)}</span>`,
      amt(c, x.amount, "slash-amount"),
      addr(x.recipient),
      time(x.time),
      txLink(x.tx),
    ]),
    "Never slashed.",
  );
  const skipped = p.skippedSlashes.length
    ? `<h3>Slashes skipped (the chain contradicted the settlement)</h3>${table(
        "skipped-slashes",
        ["Round", "Reason", "Transaction"],
        p.skippedSlashes.map((x) => [roundLink(x.round), esc(x.reasonText), txLink(x.tx)]),
      )}`
    : "";
  const votes = p.votes.length
    ? section(
        "Evaluations",
        table(
          "votes",
          ["Round", "Tasks assigned", "Committed", "Revealed", "Mean score"],
          p.votes.map((v) => [roundLink(v.round), esc(v.assignedTasks ?? "—"), yesNo(v.committed), yesNo(v.revealed), score(v.meanScore)]),
        ),
        "votes-section",
      )
    : "";
  const served = p.served.length
    ? section(
        "Outputs served",
        table("served", ["Round", "Tasks", "Mean consensus quality"], p.served.map((s) => [roundLink(s.round), esc(s.tasks), score(s.meanConsensus)])),
        "served-section",
      )
    : "";
  const txs = table(
    "transactions",
    ["Transaction", "Block", "Time", "To", "Call"],
    p.transactions.map((t) => [txLink(t.hash), block(t.block), time(t.time), addr(t.to), esc(t.function ?? "—")]),
    "No transactions sent by this address (among those that emitted PoQ events).",
  );
  const events = table(
    "events",
    ["Block", "Time", "Contract", "Event", "Details", "Transaction"],
    p.events.map((e) => [block(e.block), time(e.time), esc(e.contract), `<span class="event">${esc(e.event)}</span>`, eventSummary(c, e.event, e.args), txLink(e.tx)]),
  );
  return layout(
    c,
    `Address ${p.address}`,
    `<h1>Address <span class="mono">${esc(shortHex(p.address, 10, 8))}</span></h1>
${section("Overview", overview, "overview-section")}
${section("Stake and unbonding", stakes, "stakes-section")}
${section("Claimable balance", claimable, "claimable-section")}
${section("Trust over rounds", trustChart(p.trust) + trustRows, "trust-section")}
${section("Rewards per round", rewards, "rewards-section")}
${section("Claims", claims, "claims-section")}
${section("Slashes", slashes + skipped, "slashes-section")}
${votes}
${served}
${section("Transactions", txs, "transactions-section")}
${section("Events", events, "events-section")}`,
  );
}

function eventBlock(c: Ctx, e: TxEvent): string {
  const head = `<h3><span class="muted">#${esc(e.logIndex)}</span> ${e.event ? `<span class="event">${esc(e.event)}</span>` : "unknown event"} <span class="muted">on</span> ${e.contractLabel ? esc(e.contractLabel) : ""} ${addr(e.address)}</h3>`;
  const body = e.args ? argsTable(c, e.args) : `<pre class="raw">${esc(JSON.stringify({ topics: e.topics, data: e.data }, null, 2))}</pre>`;
  return `<div class="log" data-event="${esc(e.event ?? "")}">${head}${body}</div>`;
}

export function txPageHtml(c: Ctx, t: TxPage): string {
  const overview = dl(
    [
      ["Hash", `<code class="hash" id="tx-hash">${esc(t.hash)}</code>`],
      ["Status", t.status === "success" ? badge("success", "ok") : badge(t.status, "warn")],
      ["Block", `${block(t.block)} · ${time(t.time)} · position ${esc(t.txIndex)}`],
      ["From", addr(t.from, true)],
      ["To", `${addr(t.to, true)}${t.toLabel ? ` <span class="muted">(${esc(t.toLabel)})</span>` : ""}`],
      ["Nonce", esc(t.nonce)],
      ["Gas used", `${esc(t.gasUsed)} at ${esc(t.gasPrice)} wei`],
      ["Rounds", t.rounds.length ? t.rounds.map(roundLink).join(", ") : "—"],
      ...(t.indexed ? [] : ([["Index", `<span class="muted">not indexed (no PoQ events); read from the chain</span>`]] as [string, string][])),
    ],
    "overview",
  );
  const call = t.call
    ? `<p id="call-function"><code class="fn">${esc(t.call.function)}(${esc(Object.keys(t.call.args).join(", "))})</code></p>${argsTable(c, t.call.args)}`
    : `<p class="muted" id="call-function">Not a call to a PoQ contract.</p>`;
  return layout(
    c,
    `Transaction ${shortHex(t.hash, 10, 6)}`,
    `<h1>Transaction</h1>
${section("Overview", overview, "overview-section")}
${section("Decoded call", call + `<details><summary>Raw input (${esc((t.input.length - 2) / 2)} bytes)</summary><pre class="raw">${esc(t.input)}</pre></details>`, "call-section")}
${section(`Events (${t.events.length})`, t.events.length ? t.events.map((e) => eventBlock(c, e)).join("") : `<p class="muted">No events.</p>`, "events-section")}`,
  );
}
