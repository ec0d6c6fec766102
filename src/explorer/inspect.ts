import type { AddressPage, RoundPage } from "./api";
import type { TxPage } from "./chainApi";
import { durationText, qualityText, shortHex, timeText, trustText } from "./format";
import { groupTokens, partsText, valueText, type Amount, type Field, type Value } from "./values";

/** Terminal tables for `poq inspect`: the same objects as the JSON API, as aligned text. */

export function renderTable(head: string[], rows: string[][]): string {
  if (rows.length === 0) return "  (none)";
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `  ${r.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ")}`.trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function tok(a: Amount | null | undefined, symbol: string): string {
  return a ? `${groupTokens(a.tokens)} ${symbol}` : "-";
}

const t = (ts: number | null | undefined) => (ts === null || ts === undefined ? "-" : timeText(ts));
const s = (v: number | null | undefined) => (v === null || v === undefined ? "-" : qualityText(v));
const tr = (v: number | null | undefined) => (v === null || v === undefined ? "-" : trustText(v));
const short = (a: string | null | undefined) => (a ? shortHex(a, 8, 6) : "-");

function kv(items: [string, string][]): string {
  const w = Math.max(...items.map(([k]) => k.length));
  return items.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n");
}

export function renderRound(p: RoundPage, symbol: string, maxTasks = 20): string {
  const r = p.round;
  const out: string[] = [];
  out.push(`Round ${r.id}: ${r.phase} (as of block ${r.asOf.block ?? "-"}, ${t(r.asOf.time)})`);
  if (r.deadline) out.push(`  ${r.deadline.what} ${r.deadline.text} (at ${t(r.deadline.at.kind === "time" ? r.deadline.at.unix : null)})`);
  out.push(
    kv([
      ["tasks", `${r.tasks} (k = ${r.k})`],
      ["registered", `block ${r.registeredBlock}, ${t(r.registeredAt)}, by ${r.relayer}, tx ${r.registeredTx}`],
      ["attempt / vetoes", `${r.attempt} / ${r.vetoes}`],
      ["inference pool / paid", `${tok(r.inferencePool, symbol)} / ${tok(r.inferencePaid, symbol)}`],
      ["evaluator pool / paid", `${tok(r.evaluatorPool, symbol)} / ${tok(r.evaluatorPaid, symbol)}`],
      ["slashed", `${tok(r.slashedTotal, symbol)} (${r.slashCount} slash${r.slashCount === 1 ? "" : "es"})`],
      ["mean consensus (0-10)", s(r.meanConsensus)],
      ["settlement", r.settlementHash ?? "-"],
      ["rewards root", r.rewardsRoot ?? "-"],
      ["trust root", r.trustRoot ?? "-"],
      ["assignment", `${r.assignmentRoot ?? "-"} (${r.assignment})`],
    ]),
  );
  if (!p.content.storeConfigured) out.push("", "  note: no content store (--store): consensus, trust, rewards and proofs are not shown");
  else if (p.content.payload !== "loaded" && p.content.payload !== "none") out.push("", `  note: settlement payload ${p.content.payload}${p.content.note ? `: ${p.content.note}` : ""}`);
  out.push("", "Timeline");
  out.push(renderTable(["phase", "attempt", "started", "block", "ends", "opened by"], p.timeline.map((x) => [x.phase, String(x.attempt), t(x.startTime), x.startBlock === null ? "-" : String(x.startBlock), t(x.endTime), x.tx ? `${x.via} ${x.tx}` : x.via])));
  out.push("", "Settlements per relayer");
  out.push(
    renderTable(
      ["relayer", "attempt", "settlement hash", "status"],
      p.settlements.map((x) => [x.relayer, String(x.attempt), x.settlementHash ?? "(not revealed)", x.final ? "finalized" : x.accepted ? "accepted" : x.settlementHash ? "revealed" : "committed"]),
    ),
  );
  if (p.vetoes.length) {
    out.push("", "Vetoes");
    out.push(renderTable(["guardian", "settlement", "new attempt", "time", "tx"], p.vetoes.map((v) => [v.guardian, v.settlementHash, String(v.newAttempt), t(v.time), v.tx])));
  }
  out.push("", "Evaluators");
  out.push(
    renderTable(
      ["evaluator", "tasks", "committed", "revealed", "mean score", "trust", "reward", "slashed"],
      p.evaluators.map((e) => [
        e.address,
        e.assignedTasks === null ? "-" : String(e.assignedTasks),
        e.committed ? "yes" : "no",
        e.revealed ? "yes" : "no",
        s(e.meanScore),
        tr(e.trustPpm),
        tok(e.reward, symbol),
        e.slash ? `${tok(e.slash.amount, symbol)} (${e.slash.reasonText})` : "-",
      ]),
    ),
  );
  out.push("", "Rewards");
  out.push(renderTable(["account", "role", "reward"], p.rewards.map((x) => [x.account, x.role, tok(x.amount, symbol)])));
  out.push("", "Slashes");
  out.push(renderTable(["evaluator", "reason", "amount", "tx"], p.slashes.map((x) => [x.evaluator, x.reasonText, tok(x.amount, symbol), x.tx])));
  if (p.tasks.length) {
    const shown = p.tasks.slice(0, maxTasks);
    out.push("", `Tasks${p.tasks.length > shown.length ? ` (first ${shown.length} of ${p.tasks.length}; --json for all)` : ""}`);
    out.push(
      renderTable(
        ["task", "node", "model", "consensus", "scores"],
        shown.map((x) => [String(x.index), short(x.node), x.model ?? "-", s(x.consensus), x.scores.map((y) => `${y.evaluator.slice(0, 6)}:${qualityText(y.score)}`).join(" ")]),
      ),
    );
  }
  return out.join("\n");
}

export function renderAddress(p: AddressPage, symbol: string): string {
  const out: string[] = [];
  out.push(`Address ${p.address}${p.nameTag ? ` (${p.nameTag})` : ""}`);
  const b = p.balances;
  out.push(
    kv([
      ["roles", p.tags.join(", ") || p.roles.join(", ") || "-"],
      ["ETH balance", b.eth ? `${groupTokens(b.eth.ether)} ETH (block ${b.block})` : (b.note ?? "-")],
      [`${symbol} balance`, b.token ? `${tok(b.token, symbol)} (block ${b.block})` : `${tok(b.tokenFromTransfers, symbol)} (from the indexed transfers)`],
      ["total rewards", tok(p.totalRewards, symbol)],
    ]),
  );
  out.push("", "Stake");
  out.push(
    renderTable(
      ["role", "active", "unbonding", "unlocks", "slashed"],
      p.stakes.map((x) => {
        const u = p.unlocks.find((y) => y.role === x.role);
        return [x.role, tok(x.active, symbol), tok(x.queued, symbol), x.unlockTime === null ? "-" : `${t(x.unlockTime)}${x.withdrawable ? " (withdrawable)" : u ? ` (in ${durationText(u.secondsLeft)})` : ""}`, tok(x.slashed, symbol)];
      }),
    ),
  );
  const c = p.claimable;
  out.push("", "Claimable");
  if (c.claimable === null) out.push(`  unknown: ${c.note}; claimed so far ${tok(c.claimed, symbol)}`);
  else {
    out.push(kv([["claimable now", tok(c.claimable, symbol)], ["cumulative (root of round " + c.rootRound + ")", tok(c.cumulative, symbol)], ["claimed so far", tok(c.claimed, symbol)]]));
    if (c.proof?.length) out.push(`  proof:\n${c.proof.map((h) => `    ${h}`).join("\n")}`);
  }
  out.push("", "Trust over rounds");
  out.push(renderTable(["round", "trust", "low streak"], p.trust.map((x) => [String(x.round), tr(x.trustPpm), String(x.lowStreak)])));
  out.push("", "Rewards per round");
  out.push(renderTable(["round", "reward"], p.rewards.map((x) => [String(x.round), tok(x.amount, symbol)])));
  out.push("", "Claims");
  out.push(renderTable(["root round", "paid", "cumulative", "time", "tx"], p.claims.map((x) => [String(x.rootRound), tok(x.amount, symbol), tok(x.cumulative, symbol), t(x.time), x.tx])));
  out.push("", "Slashes");
  out.push(renderTable(["round", "role", "reason", "amount", "tx"], p.slashes.map((x) => [String(x.round), x.role, x.reasonText, tok(x.amount, symbol), x.tx])));
  if (p.votes.length) {
    out.push("", "Evaluations");
    out.push(renderTable(["round", "tasks", "committed", "revealed", "mean score"], p.votes.map((v) => [String(v.round), v.assignedTasks === null ? "-" : String(v.assignedTasks), v.committed ? "yes" : "no", v.revealed ? "yes" : "no", s(v.meanScore)])));
  }
  if (p.served.length) {
    out.push("", "Outputs served");
    out.push(renderTable(["round", "tasks", "mean consensus"], p.served.map((x) => [String(x.round), String(x.tasks), s(x.meanConsensus)])));
  }
  return out.join("\n");
}

/** Arguments as indented "name: value" lines; structs and lists one level deeper. */
function fieldLines(fields: Field[], indent: string): string[] {
  const out: string[] = [];
  for (const f of fields) {
    const v: Value = f.value;
    if (v.kind === "struct") out.push(`${indent}${f.name}:`, ...fieldLines(v.fields, `${indent}  `));
    else if (v.kind === "list" && v.items.some((x) => x.kind === "struct")) {
      out.push(`${indent}${f.name}: (${v.items.length})`);
      v.items.forEach((x, i) => out.push(...fieldLines(x.kind === "struct" ? x.fields : [{ name: String(i), value: x }], `${indent}  `)));
    } else out.push(`${indent}${f.name}: ${valueText(v)}`);
  }
  return out;
}

/** A transaction as an explorer shows it: status, fee, gas, value, the decoded call, token transfers and events. */
export function renderTx(p: TxPage): string {
  const out: string[] = [];
  out.push(`Transaction ${p.hash}${p.indexed ? "" : " (not indexed: read from the chain)"}`);
  out.push(
    kv([
      ["status", p.status === "success" ? "success" : `FAILED${p.revert ? `: ${p.revert.text}` : ""}`],
      ["block", `${p.block} (${t(p.time)}), position ${p.txIndex}`],
      ["from", valueText(p.from)],
      ["to", p.to ? valueText(p.to) : "(contract creation)"],
      ["value", `${groupTokens(p.value.ether)} ETH`],
      ["fee", `${groupTokens(p.fee.ether)} ETH (${groupTokens(p.fee.gwei)} gwei)`],
      ["gas price", `${p.gasPrice.gwei} gwei`],
      ["gas used / limit", `${p.gasUsed} of ${p.gasLimit} (${p.gasUsedPercent}%)`],
      ["nonce", String(p.nonce)],
      ["call", p.call ? `${p.call.function}(${p.call.args.map((a) => a.name).join(", ")})` : "-"],
    ]),
  );
  if (p.call?.args.length) out.push(...fieldLines(p.call.args, "    "));
  if (p.tokenTransfers.length) {
    out.push("", `Token transfers (${p.tokenTransfers.length})`);
    out.push(renderTable(["from", "to", "amount"], p.tokenTransfers.map((x) => [valueText(x.from, false), valueText(x.to, false), valueText(x.amount)])));
  }
  out.push("", `Events (${p.events.length})`);
  for (const e of p.events) {
    out.push(`  #${e.logIndex} ${e.event ?? "unknown event"} on ${valueText(e.address, false)}${e.summary.length ? `: ${partsText(e.summary)}` : ""}`);
    out.push(...fieldLines(e.args, "      "));
  }
  return out.join("\n");
}
