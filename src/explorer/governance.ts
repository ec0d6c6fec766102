import type { AbiParameter, Address, Hex } from "viem";
import { poQTimelockAbi, settlementConfigAbi, stakeVaultAbi } from "../chain/abis";
import type { Json } from "./contracts";
import { blockTime, countdown, eventView, indexedTime, presenter, type Countdown, type EventView, type ExplorerContext, type LogRow } from "./context";
import { paramsRow, type ParamsRow } from "./derive";
import { durationText } from "./format";
import { enumName, roleText } from "./protocol";
import { eth, present, presentArgs, tokenAmount, type Amount, type Eth, type Field, type Value } from "./values";

/**
 * Governance and challenges: the timelock's operations (decoded against the project's ABIs), the parameters in
 * force, the relayers and the guardian; and the bonded challenges against accepted settlements with their outcomes.
 * Everything comes from the indexed events; a few current values (the timelock's delay against what the contracts
 * require, bonds, vault settings) are read live at the indexed block and cached per block.
 */

const amountOf = (ctx: ExplorerContext, v: bigint | string) => tokenAmount(v, ctx.token.decimals);
type Args = Record<string, Json>;

function logsWhere(ctx: ExplorerContext, cond: string, params: unknown[]): LogRow[] {
  return ctx.db.prepare(`SELECT * FROM logs WHERE ${cond} ORDER BY block_number, log_index`).all(...params) as LogRow[];
}

/** A live read at the indexed block, cached per block; null without a connection or when the call fails. */
async function liveRead<T>(ctx: ExplorerContext, key: string, read: (block: bigint) => Promise<T>): Promise<T | null> {
  const block = ctx.db.getSync()?.blockNumber;
  if (!ctx.client || block === undefined) return null;
  try {
    return await ctx.cache.at(block).read(key, () => read(BigInt(block)));
  } catch {
    return null;
  }
}

/* CHALLENGES */

export type ChallengeView = {
  id: number;
  round: number;
  kind: Value;
  challenger: Address;
  settlementHash: Hex;
  /** What the challenge asks to be proven: an account's earlier allotment, or a gold item. */
  subject: { account: Address | null; minAmount: Amount | null; goldItem: { taskIndex: number; poolIndex: number; quality: number; contentHash: Hex } | null };
  bond: Amount;
  /** Until when it may be answered (Unix seconds). */
  deadline: number;
  /** While open: the countdown to its deadline (after it, anyone may resolve it: it holds). */
  countdown: Countdown | null;
  status: "open" | "answered" | "upheld" | "moot";
  opened: { block: number; time: number; tx: Hex };
  answered: { responder: Address; toResponder: Amount; toChallenger: Amount; block: number; time: number; tx: Hex } | null;
  /** Upheld: the settlement was rejected; the relayers that revealed it lost `seized` in bonds, `reward` of which went to the challenger. */
  upheld: { seized: Amount; reward: Amount; block: number; time: number; tx: Hex } | null;
  moot: { block: number; time: number; tx: Hex } | null;
};

/** A gold violation proven at once (no bond): the settlement was rejected in the same transaction. */
export type ViolationView = { round: number; challenger: Address; settlementHash: Hex; violation: string; seized: Amount | null; reward: Amount | null; block: number; time: number; tx: Hex };

/** Challenges and proven violations whose logs match `cond` (on the logs table, e.g. `round_id = ?`). */
export function challengesOf(ctx: ExplorerContext, cond: string, params: unknown[]): { challenges: ChallengeView[]; violations: ViolationView[] } {
  const logs = logsWhere(ctx, `contract = 'challenges' AND (${cond})`, params);
  const times = new Map<number, number>();
  const timeOf = (b: number) => times.get(b) ?? (times.set(b, blockTime(ctx.db, b)), times.get(b)!);
  const rejectedIn = (tx: Hex) => {
    const row = ctx.db.prepare("SELECT args FROM logs WHERE tx_hash = ? AND contract = 'settlement' AND event = 'SettlementRejected' LIMIT 1").get(tx) as { args: string } | undefined;
    return row ? (JSON.parse(row.args) as Args) : undefined;
  };
  const byId = new Map<string, ChallengeView>();
  const violations: ViolationView[] = [];
  const t = indexedTime(ctx);
  for (const l of logs) {
    const a = JSON.parse(l.args) as Args;
    const at = { block: l.block_number, time: timeOf(l.block_number), tx: l.tx_hash };
    if (l.event === "ChallengeOpened") {
      const kind = Number(a.kind);
      let goldItem: ChallengeView["subject"]["goldItem"] = null;
      if (kind === 2) {
        const call = ctx.db.prepare("SELECT function, args FROM txs WHERE hash = ?").get(l.tx_hash) as { function: string | null; args: string | null } | undefined;
        const item = call?.function === "challengeGoldItem" && call.args ? ((JSON.parse(call.args) as Args).item as Record<string, Json>) : undefined;
        if (item) goldItem = { taskIndex: Number(item.taskIndex), poolIndex: Number(item.poolIndex), quality: Number(item.quality), contentHash: item.contentHash as Hex };
      }
      byId.set(String(a.challengeId), {
        id: Number(a.challengeId),
        round: Number(a.roundId),
        kind: { kind: "enum", type: "ChallengeKind", value: kind, name: enumName("ChallengeKind", kind) },
        challenger: a.challenger as Address,
        settlementHash: a.settlementHash as Hex,
        subject: { account: kind === 1 ? (a.account as Address) : null, minAmount: kind === 1 ? amountOf(ctx, String(a.minAmount)) : null, goldItem },
        bond: amountOf(ctx, String(a.bond)),
        deadline: Number(a.deadline),
        countdown: null,
        status: "open",
        opened: at,
        answered: null,
        upheld: null,
        moot: null,
      });
      continue;
    }
    if (l.event === "ViolationProven") {
      const rej = rejectedIn(l.tx_hash);
      violations.push({
        round: Number(a.roundId),
        challenger: a.challenger as Address,
        settlementHash: a.settlementHash as Hex,
        violation: String(a.violation),
        seized: rej ? amountOf(ctx, String(rej.seized)) : null,
        reward: rej ? amountOf(ctx, String(rej.reward)) : null,
        ...at,
      });
      continue;
    }
    const c = byId.get(String(a.challengeId));
    if (!c) continue;
    if (l.event === "ChallengeAnswered") {
      c.status = "answered";
      c.answered = { responder: a.responder as Address, toResponder: amountOf(ctx, String(a.toResponder)), toChallenger: amountOf(ctx, String(a.toChallenger)), ...at };
    } else if (l.event === "ChallengeUpheld") {
      c.status = "upheld";
      const rej = rejectedIn(l.tx_hash);
      c.upheld = { seized: amountOf(ctx, String(rej?.seized ?? "0")), reward: amountOf(ctx, String(rej?.reward ?? "0")), ...at };
    } else if (l.event === "ChallengeMoot") {
      c.status = "moot";
      c.moot = at;
    }
  }
  const challenges = [...byId.values()].sort((x, y) => y.id - x.id);
  for (const c of challenges) if (c.status === "open") c.countdown = countdown(ctx, c.deadline > t ? `Challenge ${c.id}: answer deadline` : `Challenge ${c.id}: unanswered, anyone may resolve it (it holds)`, c.deadline);
  return { challenges, violations: violations.reverse() };
}

export type ChallengesPage = { challenges: ChallengeView[]; violations: ViolationView[]; open: number; asOf: { block: number | null; time: number | null } };

export function challengesPage(ctx: ExplorerContext): ChallengesPage {
  const { challenges, violations } = challengesOf(ctx, "1 = 1", []);
  const s = ctx.db.getSync();
  return { challenges, violations, open: challenges.filter((c) => c.status === "open").length, asOf: { block: s?.blockNumber ?? null, time: s?.blockTimestamp ?? null } };
}

/* PARAMETERS */

/** The latest parameter version's event (the version new rounds register under). */
function latestParamsLog(ctx: ExplorerContext): LogRow | undefined {
  return ctx.db.prepare("SELECT * FROM logs WHERE contract = 'config' AND event = 'ParamsSet' ORDER BY block_number DESC, log_index DESC LIMIT 1").get() as LogRow | undefined;
}

/** The parameters in force for new rounds, from the latest ParamsSet event. */
export function latestParams(ctx: ExplorerContext): ParamsRow | undefined {
  const l = latestParamsLog(ctx);
  return l ? paramsRow((JSON.parse(l.args) as { params: Record<string, unknown> }).params) : undefined;
}

/** The ABI components of `ISettlementConfig.Params`, for presenting each field by its unit. */
function paramsComponents(): readonly AbiParameter[] {
  const ev = settlementConfigAbi.find((x) => x.type === "event" && x.name === "ParamsSet") as { inputs: readonly AbiParameter[] };
  return (ev.inputs.find((i) => i.name === "params") as { components: readonly AbiParameter[] }).components;
}

export type ParamDiff = { name: string; current: Value | null; proposed: Value; changed: boolean };

/* GOVERNANCE */

export type OperationView = {
  id: Hex;
  /** The calls the operation makes (a batch has several), decoded against the project's ABIs. */
  calls: {
    index: number;
    target: Value;
    value: Eth;
    data: Hex;
    call: { contract: string; function: string; args: Field[] } | null;
    /** For `setParams`: every parameter, the current version's value beside the proposed one. */
    paramsDiff: ParamDiff[] | null;
  }[];
  predecessor: Hex;
  salt: Hex | null;
  delay: Value;
  scheduled: { block: number; time: number; tx: Hex };
  /** When it may execute: the schedule's block time plus its delay (Unix seconds). */
  readyAt: number;
  countdown: Countdown | null;
  state: "pending" | "ready" | "done" | "cancelled";
  executed: { block: number; time: number; tx: Hex } | null;
  cancelled: { block: number; time: number; tx: Hex } | null;
};

export type GovernancePage = {
  timelock: Address;
  /** The timelock's minimum delay (`getMinDelay()`), and the delay the configuration and the vault require of it. */
  minDelay: Value | null;
  requiredDelay: { config: Value | null; vault: Value | null };
  /** Whether the minimum delay covers both requirements (null: unknown without a connection). */
  delayCovers: boolean | null;
  operations: OperationView[];
  params: { version: number; set: { block: number; time: number; tx: Hex }; fields: Field[] } | null;
  relayers: { id: number; address: Address; current: boolean; bond: Amount | null; bonded: boolean | null }[];
  guardian: Address | null;
  owners: { contract: string; owner: Address }[];
  vault: { unbondingPeriod: Value | null; maxSlashBps: Value | null; slashRecipient: Address | null; minStake: { role: string; minimum: Amount | null }[] };
  events: EventView[];
  asOf: { block: number | null; time: number | null };
};

const duration = (s: bigint | number): Value => ({ kind: "duration", seconds: Number(s), text: durationText(Number(s)) });

export async function governancePage(ctx: ExplorerContext): Promise<GovernancePage> {
  const d = ctx.deployment;
  const p = presenter(ctx);
  const t = indexedTime(ctx);
  const times = new Map<number, number>();
  const timeOf = (b: number) => times.get(b) ?? (times.set(b, blockTime(ctx.db, b)), times.get(b)!);

  // The parameters in force, and each field as its unit reads.
  const comps = paramsComponents();
  const pl = latestParamsLog(ctx);
  const current = pl ? ((JSON.parse(pl.args) as Args).params as Record<string, Json>) : undefined;
  const params = pl
    ? { version: Number((JSON.parse(pl.args) as Args).version), set: { block: pl.block_number, time: timeOf(pl.block_number), tx: pl.tx_hash }, fields: presentArgs(p, "config:ParamsSet", comps, current!) }
    : null;

  // Operations, in the order they were scheduled (a cancelled id may be scheduled again).
  const ops: OperationView[] = [];
  const live = new Map<string, OperationView>();
  const logs = logsWhere(ctx, "contract = 'timelock' AND event IN ('CallScheduled', 'CallSalt', 'CallExecuted', 'Cancelled')", []);
  for (const l of logs) {
    const a = JSON.parse(l.args) as Args;
    const id = String(a.id);
    const at = { block: l.block_number, time: timeOf(l.block_number), tx: l.tx_hash };
    let op = live.get(id);
    if (l.event === "CallScheduled") {
      if (!op || op.state === "cancelled") {
        op = { id: id as Hex, calls: [], predecessor: a.predecessor as Hex, salt: null, delay: duration(Number(a.delay)), scheduled: at, readyAt: at.time + Number(a.delay), countdown: null, state: "pending", executed: null, cancelled: null };
        live.set(id, op);
        ops.push(op);
      }
      const target = String(a.target) as Address;
      const data = String(a.data) as Hex;
      const dec = ctx.contracts.decodeCall(target, data);
      let paramsDiff: ParamDiff[] | null = null;
      if (dec?.contract === "config" && dec.name === "setParams") {
        const proposed = dec.args[dec.inputs[0]?.name ?? ""] as Record<string, Json>;
        paramsDiff = comps.map((c) => {
          const name = c.name ?? "";
          const cur = current?.[name];
          return {
            name,
            current: cur === undefined ? null : present(p, "config.setParams", c, cur),
            proposed: present(p, "config.setParams", c, proposed[name] ?? null),
            changed: cur === undefined || String(cur) !== String(proposed[name]),
          };
        });
      }
      op.calls.push({
        index: Number(a.index),
        target: { kind: "address", address: target, tag: p.tagOf(target) },
        value: eth(String(a.value)),
        data,
        call: dec ? { contract: dec.contract, function: dec.name, args: presentArgs(p, `${dec.contract}.${dec.name}`, dec.inputs, dec.args) } : null,
        paramsDiff,
      });
    } else if (op && l.event === "CallSalt") op.salt = a.salt as Hex;
    else if (op && l.event === "CallExecuted") {
      op.state = "done";
      op.executed ??= at;
    } else if (op && l.event === "Cancelled") {
      op.state = "cancelled";
      op.cancelled = at;
    }
  }
  for (const op of ops) {
    if (op.state === "pending" && t >= op.readyAt) op.state = "ready";
    if (op.state === "pending") op.countdown = countdown(ctx, "Executable", op.readyAt);
  }

  // Delays, read live at the indexed block.
  const [minDelay, cfgReq, vaultReq] = await Promise.all([
    liveRead(ctx, "timelock:minDelay", (blockNumber) => ctx.client!.readContract({ address: d.timelock, abi: poQTimelockAbi, functionName: "getMinDelay", blockNumber })),
    liveRead(ctx, "config:requiredDelay", (blockNumber) => ctx.client!.readContract({ address: d.config, abi: settlementConfigAbi, functionName: "requiredGovernanceDelay", blockNumber })),
    liveRead(ctx, "vault:requiredDelay", (blockNumber) => ctx.client!.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "requiredGovernanceDelay", blockNumber })),
  ]);
  const lastDelay = ctx.db.prepare("SELECT args FROM logs WHERE contract = 'timelock' AND event = 'MinDelayChange' ORDER BY block_number DESC, log_index DESC LIMIT 1").get() as { args: string } | undefined;
  const delay = minDelay ?? (lastDelay ? BigInt(String((JSON.parse(lastDelay.args) as Args).newDuration)) : null);

  // Relayers (ids from RelayerSet; bonds read live) and the guardian.
  const relayerLogs = logsWhere(ctx, "contract = 'config' AND event = 'RelayerSet'", []);
  const relayerState = new Map<string, { id: number; address: Address; current: boolean }>();
  for (const l of relayerLogs) {
    const a = JSON.parse(l.args) as Args;
    relayerState.set(String(a.relayer), { id: Number(a.id), address: a.relayer as Address, current: a.enabled === true });
  }
  const minBond = latestParams(ctx)?.minRelayerBond;
  const relayers = await Promise.all(
    [...relayerState.values()]
      .sort((x, y) => x.id - y.id)
      .map(async (r) => {
        const stake = await liveRead(ctx, `stakeOf:${r.address}:3`, (blockNumber) => ctx.client!.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [r.address, 3], blockNumber }));
        return { ...r, bond: stake ? amountOf(ctx, stake.active) : null, bonded: stake && minBond !== undefined ? stake.active >= BigInt(minBond) : null };
      }),
  );
  const lastArg = (contract: string, event: string, key: string) => {
    const row = ctx.db.prepare("SELECT args FROM logs WHERE contract = ? AND event = ? ORDER BY block_number DESC, log_index DESC LIMIT 1").get(contract, event) as { args: string } | undefined;
    return row ? ((JSON.parse(row.args) as Args)[key] as Address) : null;
  };
  const owners = (["config", "vault"] as const).flatMap((c) => {
    const o = lastArg(c, "OwnershipTransferred", "newOwner");
    return o ? [{ contract: ctx.contracts.list().find((x) => x.name === c)!.label, owner: o }] : [];
  });

  // Vault settings, read live.
  const vaultRead = <T>(fn: "unbondingPeriod" | "maxSlashBps" | "slashRecipient") =>
    liveRead(ctx, `vault:${fn}`, (blockNumber) => ctx.client!.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: fn, blockNumber }) as Promise<T>);
  const [unbonding, maxSlash, recipient, ...mins] = await Promise.all([
    vaultRead<bigint>("unbondingPeriod"),
    vaultRead<bigint>("maxSlashBps"),
    vaultRead<Address>("slashRecipient"),
    ...[1, 2, 3].map((role) => liveRead(ctx, `vault:minStake:${role}`, (blockNumber) => ctx.client!.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "minStake", args: [role], blockNumber }))),
  ]);

  const events = logsWhere(ctx, "contract IN ('timelock', 'config') OR (contract = 'vault' AND event IN ('MinStakeSet', 'UnbondingPeriodSet', 'MaxSlashBpsSet', 'SlashRecipientSet', 'OwnershipTransferred'))", [])
    .filter((l) => !["RoleGranted", "RoleRevoked", "RoleAdminChanged"].includes(l.event) || l.contract === "timelock")
    .slice(-200)
    .reverse()
    .map((l) => eventView(ctx, p, l));
  const s = ctx.db.getSync();
  return {
    timelock: d.timelock,
    minDelay: delay === null ? null : duration(delay),
    requiredDelay: { config: cfgReq === null ? null : duration(cfgReq), vault: vaultReq === null ? null : duration(vaultReq) },
    delayCovers: delay === null || cfgReq === null || vaultReq === null ? null : delay >= cfgReq && delay >= vaultReq,
    operations: ops.reverse(),
    params,
    relayers,
    guardian: lastArg("config", "GuardianSet", "guardian"),
    owners,
    vault: {
      unbondingPeriod: unbonding === null ? null : duration(unbonding),
      maxSlashBps: maxSlash === null ? null : { kind: "bps", value: Number(maxSlash), percent: `${Number(maxSlash) / 100}%` },
      slashRecipient: recipient,
      minStake: [1, 2, 3].map((role, i) => ({ role: roleText(role), minimum: mins[i] === null ? null : amountOf(ctx, mins[i] as bigint) })),
    },
    events,
    asOf: { block: s?.blockNumber ?? null, time: s?.blockTimestamp ?? null },
  };
}
