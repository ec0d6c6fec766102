import type { AddressPage, Deadline, RoundPage } from "./api";
import type { ChallengesPage, ChallengeView, GovernancePage, ViolationView } from "./governance";
import type { TxPage } from "./chainApi";
import { campsText, contentSourceText, durationText, qualityText, shortHex, timeText, trustText } from "./format";
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

const at = (v: Value | null | undefined) => (v ? valueText(v) : "-");

function deadlineLines(ds: Deadline[]): string[] {
  return ds.map((d) => `  ${d.what} ${d.text} (at ${t(d.at.kind === "time" ? d.at.unix : null)})`);
}

export function renderRound(p: RoundPage, symbol: string, maxTasks = 20): string {
  const r = p.round;
  const out: string[] = [];
  out.push(`Round ${r.id}: ${r.phase}${r.cancelled ? ` (cancelled in phase ${r.cancelled.phase} by ${r.cancelled.by}, ${t(r.cancelled.time)})` : ""} (as of block ${r.asOf.block ?? "-"}, ${t(r.asOf.time)})`);
  out.push(...deadlineLines(p.deadlines));
  const hasGold = !/^0x0{64}$/.test(p.gold.commitment);
  out.push(
    kv([
      ["tasks", `${r.tasks} (k = ${r.k})`],
      ["registered", `block ${r.registeredBlock}, ${t(r.registeredAt)}, tx ${r.registeredTx}`],
      ["registrar", r.registrar],
      ["manifest CID", at(r.manifestCid)],
      ["seed block", `${r.seedBlock} (drawable until block ${r.seedDrawableUntil})`],
      ["seed", r.seed ? `${r.seed} (drawn in block ${r.seedDrawnBlock})` : "not drawn yet"],
      ["assignment deadline", t(r.assignDeadline)],
      ["settlement expiry", `${t(r.expiresAt)} (extended ${r.extensions} of at most ${r.maxExtensions ?? "-"} times)`],
      ["attempt / vetoes / rejected", `${r.attempt} / ${r.vetoes} / ${r.rejections}`],
      ["parameter version", String(r.paramsVersion)],
      ["inference pool / paid", `${tok(r.inferencePool, symbol)} / ${tok(r.inferencePaid, symbol)}`],
      ["evaluator pool / paid", `${tok(r.evaluatorPool, symbol)} / ${tok(r.evaluatorPaid, symbol)}`],
      ["slashed (all reasons)", `${tok(r.slashedTotal, symbol)} (${r.slashCount} slash${r.slashCount === 1 ? "" : "es"})`],
      ["relayer bonds seized", tok(r.seizedTotal, symbol)],
      ["refunded", tok(r.refunded, symbol)],
      ["mean consensus (0-10)", s(r.meanConsensus)],
      ["settlement", r.settlementHash ?? "-"],
      ["rewards root (sum tree)", r.rewardsRoot ?? "-"],
      ["trust root", r.trustRoot ?? "-"],
      ["assignment", `${r.assignmentRoot ?? "-"} (${r.assignment})`],
      ["gold commitment", hasGold ? p.gold.commitment : "none"],
      ...(hasGold ? ([["gold", `opening ${p.gold.opening}; count ${p.gold.count ?? "- (after settlement)"}; root ${p.gold.root ?? "-"}`]] as [string, string][]) : []),
      [
        "circuit breaker",
        (p.breaker.held === null ? "-" : p.breaker.held ? "held (low-trust slashing frozen)" : "not held") +
          (campsText(p.breaker) ? `; ${campsText(p.breaker)}` : "") +
          (p.breaker.flaggedStakePpm === null ? "" : `; flagged stake ${(p.breaker.flaggedStakePpm / 1e4).toFixed(1)}%${p.breaker.splitGap === null ? "" : `, widest gap between camps ${p.breaker.splitGap.toFixed(3)} points`}`),
      ],
      ["excluded tasks", p.excludedTasks === null ? "-" : p.excludedTasks.length ? p.excludedTasks.join(", ") : "none"],
    ]),
  );
  const fetched = contentSourceText(p.content.backend, p.content.source);
  if (fetched) out.push("", `  ${fetched}`);
  if (!p.content.storeConfigured) out.push("", "  note: no content store (--store): consensus, trust, rewards and proofs are not shown");
  else if (p.content.note || (p.content.payload !== "loaded" && p.content.payload !== "none")) out.push("", `  note: settlement payload ${p.content.payload}${p.content.note ? `: ${p.content.note}` : ""}`);
  if (p.gold.tasks?.length) {
    out.push("", "Gold tasks");
    out.push(renderTable(["task", "pool item", "quality (0-10)", "content hash"], p.gold.tasks.map((g) => [String(g.taskIndex), String(g.poolIndex), qualityText(g.quality / 1000), g.contentHash ?? "-"])));
  }
  out.push("", "Timeline");
  out.push(renderTable(["phase", "attempt", "started", "block", "ends", "opened by"], p.timeline.map((x) => [x.phase, x.attempt ? String(x.attempt) : "-", t(x.startTime), x.startBlock === null ? "-" : String(x.startBlock), t(x.endTime), x.tx ? `${x.via} ${x.tx}` : x.via])));
  out.push("", "Settlement attempts");
  out.push(
    renderTable(
      ["attempt", "outcome", "commits close", "reveals close", "relayer", "settlement hash", "payload CID"],
      p.attempts.flatMap((a) =>
        a.commits.map((c) => {
          const rev = a.reveals.find((x) => x.relayer === c.relayer);
          return [String(a.attempt), a.outcome, t(a.commitsClose), t(a.revealsClose), c.relayer, rev?.settlementHash ?? "(not revealed)", rev ? at(rev.payloadCid) : "-"];
        }),
      ),
    ),
  );
  if (p.vetoes.length || p.rejections.length) {
    out.push("", "Vetoes and rejections");
    out.push(
      renderTable(
        ["kind", "by", "settlement", "bonds seized", "reward", "reopens until", "tx"],
        [
          ...p.vetoes.map((v) => ["veto", v.guardian, v.settlementHash, "-", "-", t(v.expiresAt), v.tx]),
          ...p.rejections.map((v) => ["rejected", v.challenger, v.settlementHash, tok(v.seized, symbol), tok(v.reward, symbol), t(v.expiresAt), v.tx]),
        ],
      ),
    );
  }
  if (p.challenges.length || p.violations.length) out.push("", "Challenges", challengeTable(p.challenges, symbol), ...violationLines(p.violations, symbol));
  if (p.funders.length) {
    out.push("", "Funders");
    out.push(renderTable(["funder", "contributed", "refunded", "refundable now"], p.funders.map((f) => [f.funder, tok(f.contributed, symbol), tok(f.refunded, symbol), tok(f.refundable, symbol)])));
  }
  out.push("", "Evaluators");
  out.push(
    renderTable(
      ["evaluator", "tasks", "committed", "revealed", "unavailable", "mean score", "trust", "reward", "slashed"],
      p.evaluators.map((e) => [
        e.address,
        e.assignedTasks === null ? "-" : String(e.assignedTasks),
        e.committed ? "yes" : "no",
        e.revealed ? "yes" : "no",
        String(e.unavailable),
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
  out.push(renderTable(["account", "role", "reason", "amount", "tx"], p.slashes.map((x) => [x.account, x.role, x.reasonText, tok(x.amount, symbol), x.tx])));
  if (p.proposedSlashes.length) out.push("", "Low-trust slash list", renderTable(["evaluator", "outcome"], p.proposedSlashes.map((x) => [x.evaluator, x.outcome])));
  if (p.skippedSlashes.length) out.push("", "Skipped slashes", renderTable(["evaluator", "reason", "tx"], p.skippedSlashes.map((x) => [x.evaluator, x.reasonText, x.tx])));
  if (p.tasks.length) {
    const shown = p.tasks.slice(0, maxTasks);
    out.push("", `Tasks${p.tasks.length > shown.length ? ` (first ${shown.length} of ${p.tasks.length}; --json for all)` : ""}`);
    out.push(
      renderTable(
        ["task", "node", "model", "consensus", "scores"],
        shown.map((x) => [
          String(x.index),
          short(x.node),
          x.model ?? "-",
          `${s(x.consensus)}${x.excluded ? " (excluded)" : ""}${x.gold !== null ? ` (gold ${qualityText(x.gold)})` : ""}`,
          x.scores.map((y) => `${y.evaluator.slice(0, 6)}:${y.score === null ? "unavailable" : qualityText(y.score)}`).join(" "),
        ]),
      ),
    );
  }
  return out.join("\n");
}

function challengeTable(cs: ChallengeView[], symbol: string): string {
  return renderTable(
    ["id", "round", "kind", "subject", "challenger", "bond", "deadline", "status", "outcome"],
    cs.map((c) => [
      String(c.id),
      String(c.round),
      valueText(c.kind),
      c.subject.account ? `${c.subject.account} (at least ${tok(c.subject.minAmount, symbol)})` : c.subject.goldItem ? `gold task ${c.subject.goldItem.taskIndex} (pool item ${c.subject.goldItem.poolIndex})` : "gold item",
      c.challenger,
      tok(c.bond, symbol),
      `${t(c.deadline)}${c.countdown ? ` (${c.countdown.text})` : ""}`,
      c.status,
      c.answered
        ? `answered by ${c.answered.responder}: ${tok(c.answered.toResponder, symbol)} to it, ${tok(c.answered.toChallenger, symbol)} back`
        : c.upheld
          ? `upheld: bonds seized ${tok(c.upheld.seized, symbol)}, reward ${tok(c.upheld.reward, symbol)}`
          : c.moot
            ? "moot: bond back"
            : "-",
    ]),
  );
}

function violationLines(vs: ViolationView[], symbol: string): string[] {
  return vs.length ? ["", "Violations proven at once", renderTable(["round", "challenger", "violation", "bonds seized", "tx"], vs.map((v) => [String(v.round), v.challenger, v.violation, tok(v.seized, symbol), v.tx]))] : [];
}

export function renderChallenges(p: ChallengesPage, symbol: string): string {
  return [`Challenges: ${p.challenges.length} (${p.open} open), as of block ${p.asOf.block ?? "-"}`, challengeTable(p.challenges, symbol), ...violationLines(p.violations, symbol)].join("\n");
}

export function renderGovernance(p: GovernancePage, symbol: string): string {
  const out: string[] = [];
  out.push(`Governance (as of block ${p.asOf.block ?? "-"})`);
  out.push(
    kv([
      ["timelock", p.timelock],
      ["minimum delay", at(p.minDelay)],
      ["required (config / vault)", `${at(p.requiredDelay.config)} / ${at(p.requiredDelay.vault)}${p.delayCovers === null ? "" : p.delayCovers ? " (covered)" : " (NOT covered)"}`],
      ["guardian", p.guardian ?? "-"],
      ...p.owners.map((o) => [`owner of ${o.contract}`, o.owner] as [string, string]),
      ["unbonding period", at(p.vault.unbondingPeriod)],
      ["slash cap per round", at(p.vault.maxSlashBps)],
      ["slash recipient", p.vault.slashRecipient ?? "-"],
      ...p.vault.minStake.map((m) => [`minimum ${m.role} stake`, tok(m.minimum, symbol)] as [string, string]),
    ]),
  );
  out.push("", "Queued operations");
  if (!p.operations.length) out.push("  (none)");
  for (const op of p.operations) {
    out.push(`  ${op.id}  ${op.state}  ready at ${t(op.readyAt)}${op.countdown ? ` (${op.countdown.text})` : ""}  scheduled ${t(op.scheduled.time)} tx ${op.scheduled.tx}`);
    for (const c of op.calls) {
      out.push(`    call ${c.index}: ${c.call ? `${c.call.function}(${c.call.args.map((a) => a.name).join(", ")})` : "unknown function"} on ${valueText(c.target)}`);
      if (c.paramsDiff) for (const d of c.paramsDiff.filter((x) => x.changed)) out.push(`      ${d.name}: ${at(d.current)} -> ${valueText(d.proposed)}`);
      else if (c.call) out.push(...fieldLines(c.call.args, "      "));
      else out.push(`      data ${c.data}`);
    }
  }
  if (p.params) {
    out.push("", `Parameters in force: version ${p.params.version} (set ${t(p.params.set.time)})`);
    out.push(...fieldLines(p.params.fields, "  "));
  }
  out.push("", "Relayers");
  out.push(renderTable(["id", "relayer", "current", "bond", "bonded"], p.relayers.map((r) => [String(r.id), r.address, r.current ? "yes" : "removed", tok(r.bond, symbol), r.bonded === null ? "-" : r.bonded ? "yes" : "no"])));
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
  out.push(`  withdrawals: ${p.withdrawalLocked === null ? "unknown" : p.withdrawalLocked ? "locked by the settlement contract" : "not locked"}`);
  if (p.relayer) out.push(`  relayer id ${p.relayer.id}${p.relayer.current ? "" : " (removed)"}: bond ${tok(p.relayer.bond, symbol)}${p.relayer.minimum ? ` of at least ${tok(p.relayer.minimum, symbol)}` : ""}`);
  if (p.unbonding?.length) {
    out.push("", "Unbonding queue");
    out.push(renderTable(["role", "amount", "unlocks", "when"], p.unbonding.map((u) => [u.role, tok(u.amount, symbol), t(u.unlockTime), u.unlocked ? "withdrawable now" : u.text])));
  }
  const c = p.claimable;
  out.push("", "Claimable");
  if (c.claimable === null) out.push(`  unknown: ${c.note}; claimed so far ${tok(c.claimed, symbol)}`);
  else {
    out.push(kv([["claimable now", tok(c.claimable, symbol)], ["cumulative (root of round " + c.rootRound + ")", tok(c.cumulative, symbol)], ["claimed so far", tok(c.claimed, symbol)]]));
    if (c.proof?.length) out.push(`  leaf index ${c.index}; proof (sibling hash, sibling sum per level):\n${c.proof.map((h) => `    ${h}`).join("\n")}`);
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
  if (p.funding.length) {
    out.push("", "Rounds funded");
    out.push(renderTable(["round", "contributed", "refunded", "refundable now"], p.funding.map((f) => [String(f.round), tok(f.contributed, symbol), tok(f.refunded, symbol), tok(f.refundable, symbol)])));
  }
  if (p.challengesOpened.length || p.violations.length) out.push("", "Challenges opened", challengeTable(p.challengesOpened, symbol), ...violationLines(p.violations, symbol));
  if (p.challengesAnswered.length) out.push("", "Challenges answered", challengeTable(p.challengesAnswered, symbol));
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
