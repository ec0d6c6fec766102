import { erc20Abi, getAddress, type Address, type Hex } from "viem";
import { PoqError } from "../errors";
import { decodeRevert, txRecord, type StoredEvent, type TxRecord } from "./contracts";
import { blockTime, indexedBlock, NotFoundError, presenter, type ExplorerContext } from "./context";
import { parseBlockNumber, parsePaging, parseTxHash } from "./params";
import { handlerOf } from "./protocol";
import { addressValue, eth, gwei, presentArgs, tokenAmount, tokenValue, type Amount, type Eth, type Field, type Part, type Presenter, type Value } from "./values";

/**
 * The generic chain views: blocks, transactions, the token and its holders. They read the index's raw tables and the
 * ABIs; nothing here depends on the shape of a settlement or a round.
 */

/* TRANSACTIONS */

/** A transaction in a list: enough to see what it did and what it cost. */
export type TxRow = {
  hash: Hex;
  block: number;
  time: number;
  from: Value;
  to: Value | null;
  /** The decoded function name (null: not a call to a known contract). */
  function: string | null;
  status: "success" | "failed";
  value: Eth;
  fee: Eth;
};

type TxDbRow = TxRecord;

function txRow(ctx: ExplorerContext, p: Presenter, r: Pick<TxDbRow, "hash" | "block_number" | "from_address" | "to_address" | "function" | "status" | "value" | "gas_used" | "gas_price">): TxRow {
  return {
    hash: r.hash,
    block: r.block_number,
    time: blockTime(ctx.db, r.block_number),
    from: addressValue(p, r.from_address),
    to: r.to_address ? addressValue(p, r.to_address) : null,
    function: r.function,
    status: r.status,
    value: eth(r.value),
    fee: eth(BigInt(r.gas_used) * BigInt(r.gas_price)),
  };
}

/** Indexed transactions matching `where`, newest first. */
export function txRows(ctx: ExplorerContext, where: string, params: unknown[], limit: number, offset: number): TxRow[] {
  const p = presenter(ctx);
  const rows = ctx.db
    .prepare(`SELECT hash, block_number, from_address, to_address, function, status, value, gas_used, gas_price FROM txs ${where} ORDER BY block_number DESC, tx_index DESC LIMIT ? OFFSET ?`)
    .all(...params, limit, offset) as TxDbRow[];
  return rows.map((r) => txRow(ctx, p, r));
}

export type TxsFeed = { transactions: TxRow[]; total: number; page: number; pages: number; limit: number };

/** The latest indexed transactions: every call to a project contract (failed ones included) and every one that emitted a project event. */
export function txsFeed(ctx: ExplorerContext, q: { page?: string; limit?: string } = {}): TxsFeed {
  const { page, limit, offset } = parsePaging(q, 25, 200);
  const total = (ctx.db.prepare("SELECT COUNT(*) AS n FROM txs").get() as { n: number }).n;
  return { transactions: txRows(ctx, "", [], limit, offset), total, page, pages: Math.max(1, Math.ceil(total / limit)), limit };
}

/** A token transfer (from the indexed Transfer events, or a receipt's). */
export type TransferRow = { block: number; logIndex: number; time: number; tx: Hex; from: Value; to: Value; amount: Value };

export function transferRows(ctx: ExplorerContext, where: string, params: unknown[], limit: number, offset: number): TransferRow[] {
  const p = presenter(ctx);
  const rows = ctx.db
    .prepare(`SELECT block_number, log_index, tx_hash, from_address, to_address, value FROM transfers ${where} ORDER BY block_number DESC, log_index DESC LIMIT ? OFFSET ?`)
    .all(...params, limit, offset) as { block_number: number; log_index: number; tx_hash: Hex; from_address: Address; to_address: Address; value: string }[];
  return rows.map((r) => ({
    block: r.block_number,
    logIndex: r.log_index,
    time: blockTime(ctx.db, r.block_number),
    tx: r.tx_hash,
    from: addressValue(p, r.from_address),
    to: addressValue(p, r.to_address),
    amount: tokenValue(p, r.value),
  }));
}

/** One event of a receipt: decoded when it comes from a known contract, else its raw topics and data. */
export type TxEvent = { logIndex: number; address: Value; contract: string | null; event: string | null; summary: Part[]; args: Field[]; topics?: Hex[]; data?: Hex };

export type TxPage = {
  hash: Hex;
  /** False: the index does not hold it (no project call or event); read from the chain. */
  indexed: boolean;
  status: "success" | "failed";
  /** Why it failed: the decoded revert of its call replayed on the state before its block (null: succeeded or unknown). */
  revert: { error: string; args: Field[]; data: Hex; text: string } | null;
  block: number;
  time: number | null;
  txIndex: number;
  from: Value;
  to: Value | null;
  nonce: number;
  type: string;
  value: Eth;
  gasLimit: string;
  gasUsed: string;
  /** gasUsed / gasLimit in percent, 2 decimals. */
  gasUsedPercent: number;
  /** Effective gas price: wei and gwei. */
  gasPrice: { wei: string; gwei: string };
  /** gasUsed × effective gas price: wei, ether and gwei. */
  fee: Eth & { gwei: string };
  call: { function: string; args: Field[] } | null;
  input: Hex;
  tokenTransfers: { logIndex: number; token: Value; from: Value; to: Value; amount: Value }[];
  events: TxEvent[];
  rounds: number[];
};

function txEvents(ctx: ExplorerContext, p: Presenter, events: StoredEvent[]): TxEvent[] {
  return events.map((e) => {
    const address = addressValue(p, e.address);
    if (!e.contract || !e.event || !e.args) return { logIndex: e.logIndex, address, contract: null, event: null, summary: [], args: [], topics: e.topics, data: e.data };
    return {
      logIndex: e.logIndex,
      address,
      contract: e.contract,
      event: e.event,
      summary: handlerOf(e.contract, e.event)?.summary?.(e.args, p) ?? [],
      args: presentArgs(p, `${e.contract}:${e.event}`, ctx.contracts.eventInputs(e.contract, e.event), e.args),
    };
  });
}

/** Transfer events of any ERC-20 in a receipt; amounts of the project's token in tokens, others in base units. */
const TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
function tokenTransfersOf(ctx: ExplorerContext, p: Presenter, events: StoredEvent[]): TxPage["tokenTransfers"] {
  const out: TxPage["tokenTransfers"] = [];
  for (const e of events) {
    if (e.contract === "token" && e.event === "Transfer" && e.args) {
      out.push({ logIndex: e.logIndex, token: addressValue(p, e.address), from: addressValue(p, String(e.args.from)), to: addressValue(p, String(e.args.to)), amount: tokenValue(p, String(e.args.value)) });
    } else if (!e.contract && e.topics?.[0] === TRANSFER_TOPIC && e.topics.length === 3 && e.data && e.data.length === 66) {
      const word = (t: Hex) => getAddress(`0x${t.slice(26)}`);
      out.push({ logIndex: e.logIndex, token: addressValue(p, e.address), from: addressValue(p, word(e.topics[1])), to: addressValue(p, word(e.topics[2])), amount: { kind: "number", value: BigInt(e.data).toString() } });
    }
  }
  return out;
}

function revertView(ctx: ExplorerContext, p: Presenter, stored: string | null): TxPage["revert"] {
  if (!stored) return null;
  const { data } = JSON.parse(stored) as { data: Hex | null };
  if (data === null) return { error: "", args: [], data: "0x", text: "unknown (replaying the call on the state before its block did not revert)" };
  const d = decodeRevert(data);
  const args = presentArgs(p, `error:${d.name}`, d.inputs, d.args);
  const text = d.name ? `${d.name}(${args.map((a) => `${a.name}: ${fieldText(a.value)}`).join(", ")})` : data === "0x" ? "reverted without a reason" : `unknown error ${data.slice(0, 10)}`;
  return { error: d.name, args, data, text };
}

function fieldText(v: Value): string {
  switch (v.kind) {
    case "text":
      return JSON.stringify(v.text);
    case "enum":
      return v.name;
    case "token":
      return `${v.tokens} ${v.symbol}`;
    case "round":
      return String(v.id);
    case "address":
      return v.address;
    case "time":
      return v.iso;
    case "block":
      return String(v.number);
    case "duration":
      return `${v.seconds} s`;
    case "cid":
      return v.hex;
    default:
      return "value" in v ? String(v.value) : "hex" in v ? v.hex : v.kind;
  }
}

function txPageOf(ctx: ExplorerContext, r: TxDbRow, time: number | null, indexed: boolean): TxPage {
  const p = presenter(ctx);
  const stored = JSON.parse(r.events) as StoredEvent[];
  const events = txEvents(ctx, p, stored);
  // The rounds its events name, and the round its call names (a failed call emits nothing).
  const callRound = r.args ? (JSON.parse(r.args) as Record<string, unknown>).roundId : undefined;
  const named = [...stored.map((e) => e.args?.roundId), callRound].filter((x): x is string => typeof x === "string" && /^\d+$/.test(x));
  const rounds = [...new Set(named.map(Number))].sort((x, y) => x - y);
  const used = BigInt(r.gas_used);
  const price = BigInt(r.gas_price);
  const fee = used * price;
  const contract = ctx.contracts.nameOf(r.to_address);
  return {
    hash: r.hash,
    indexed,
    status: r.status,
    revert: r.status === "failed" ? (revertView(ctx, p, r.revert) ?? { error: "", args: [], data: "0x", text: "unknown (not replayed)" }) : null,
    block: r.block_number,
    time,
    txIndex: r.tx_index,
    from: addressValue(p, r.from_address),
    to: r.to_address ? addressValue(p, r.to_address) : null,
    nonce: r.nonce,
    type: r.type,
    value: eth(r.value),
    gasLimit: r.gas_limit,
    gasUsed: r.gas_used,
    gasUsedPercent: BigInt(r.gas_limit) > 0n ? Number((used * 10_000n) / BigInt(r.gas_limit)) / 100 : 0,
    gasPrice: { wei: price.toString(), gwei: gwei(price) },
    fee: { ...eth(fee), gwei: gwei(fee) },
    call:
      r.function && contract
        ? { function: r.function, args: presentArgs(p, `${contract}.${r.function}`, ctx.contracts.functionInputs(contract, r.function, Object.keys(JSON.parse(r.args ?? "{}")).length), JSON.parse(r.args ?? "{}")) }
        : null,
    input: r.input,
    tokenTransfers: tokenTransfersOf(ctx, p, stored),
    events,
    rounds,
  };
}

export async function txPage(ctx: ExplorerContext, text: string): Promise<TxPage> {
  const hash = parseTxHash(text);
  const row = ctx.db.prepare("SELECT * FROM txs WHERE hash = ?").get(hash) as TxDbRow | undefined;
  if (row) return txPageOf(ctx, row, blockTime(ctx.db, row.block_number) || null, true);
  if (!ctx.client) throw new NotFoundError(`transaction ${hash} not found in the index`);
  // Not a project call and no project event (an approval, a mint): read from the chain.
  let tx, rc;
  try {
    [tx, rc] = await Promise.all([ctx.client.getTransaction({ hash }), ctx.client.getTransactionReceipt({ hash })]);
  } catch (e) {
    if (/not found|could not be found/i.test(String((e as Error).message))) throw new NotFoundError(`transaction ${hash} not found on chain ${ctx.deployment.chainId}`);
    throw new PoqError(`could not read transaction ${hash} from the chain`, { retryable: true, cause: e });
  }
  const block = await ctx.client.getBlock({ blockNumber: rc.blockNumber }).catch(() => undefined);
  return txPageOf(ctx, txRecord(ctx.contracts, tx, rc), block ? Number(block.timestamp) : null, false);
}

/* BLOCKS */

export type BlockRow = { number: number; hash: Hex; time: number; transactions: number; projectTransactions: number; gasUsed: string; gasLimit: string; baseFee: { wei: string; gwei: string } | null; miner: Value };

type BlockDbRow = { number: number; hash: Hex; timestamp: number; tx_count: number; gas_used: string; gas_limit: string; base_fee: string | null; miner: Address; project: number };

function blockRow(p: Presenter, r: BlockDbRow): BlockRow {
  return {
    number: r.number,
    hash: r.hash,
    time: r.timestamp,
    transactions: r.tx_count,
    projectTransactions: r.project,
    gasUsed: r.gas_used,
    gasLimit: r.gas_limit,
    baseFee: r.base_fee === null ? null : { wei: r.base_fee, gwei: gwei(r.base_fee) },
    miner: addressValue(p, r.miner),
  };
}

const BLOCK_SQL = "SELECT b.*, (SELECT COUNT(*) FROM txs t WHERE t.block_number = b.number) AS project FROM blocks b";

export type BlocksFeed = { blocks: BlockRow[]; total: number; page: number; pages: number; limit: number };

/** The latest indexed blocks (every block from the start block), newest first. */
export function blocksFeed(ctx: ExplorerContext, q: { page?: string; limit?: string } = {}): BlocksFeed {
  const { page, limit, offset } = parsePaging(q, 25, 200);
  const p = presenter(ctx);
  const total = (ctx.db.prepare("SELECT COUNT(*) AS n FROM blocks").get() as { n: number }).n;
  const rows = ctx.db.prepare(`${BLOCK_SQL} ORDER BY b.number DESC LIMIT ? OFFSET ?`).all(limit, offset) as BlockDbRow[];
  return { blocks: rows.map((r) => blockRow(p, r)), total, page, pages: Math.max(1, Math.ceil(total / limit)), limit };
}

export type BlockPage = { block: BlockRow; transactions: TxRow[]; previous: number | null; next: number | null };

export function blockPage(ctx: ExplorerContext, text: string): BlockPage {
  const n = parseBlockNumber(text);
  const r = ctx.db.prepare(`${BLOCK_SQL} WHERE b.number = ?`).get(n) as BlockDbRow | undefined;
  if (!r) {
    const { block } = indexedBlock(ctx);
    throw new NotFoundError(`block ${n} is not in the index${block !== null && n > block ? ` (indexed up to block ${block})` : ""}`);
  }
  const has = (x: number) => !!ctx.db.prepare("SELECT 1 FROM blocks WHERE number = ?").get(x);
  return {
    block: blockRow(presenter(ctx), r),
    transactions: txRows(ctx, "WHERE block_number = ?", [n], 1_000, 0).reverse(),
    previous: has(n - 1) ? n - 1 : null,
    next: has(n + 1) ? n + 1 : null,
  };
}

/* TOKEN */

export type TokenPage = {
  address: Address;
  name: string;
  symbol: string;
  decimals: number;
  /** totalSupply() at the indexed block (read live, cached per block; null without a connection). */
  totalSupply: Amount | null;
  /** Minted minus burned, from the indexed Transfer events (equals totalSupply when indexing started at the token's deployment). */
  supplyFromTransfers: Amount;
  holdersCount: number;
  transfersCount: number;
  holders: { rank: number; address: Value; balance: Amount; percent: string | null }[];
  transfers: TransferRow[];
  asOf: { block: number | null; time: number | null };
  page: number;
  pages: number;
  limit: number;
};

const ZERO = "0x0000000000000000000000000000000000000000";

/** The reward token: what it says about itself, its supply, its holders (from the Transfer events) and the latest transfers. */
export async function tokenPage(ctx: ExplorerContext, q: { page?: string; limit?: string } = {}): Promise<TokenPage> {
  const { page, limit, offset } = parsePaging(q, 25, 200);
  const { db } = ctx;
  const dec = ctx.token.decimals;
  const asOf = indexedBlock(ctx);
  const sum = (sql: string) => (db.prepare(sql).all(ZERO) as { value: string }[]).reduce((t, r) => t + BigInt(r.value), 0n);
  const supplyWei = sum("SELECT value FROM transfers WHERE from_address = ?") - sum("SELECT value FROM transfers WHERE to_address = ?");
  let totalSupply: Amount | null = null;
  if (ctx.client && asOf.block !== null) {
    const client = ctx.client;
    const block = BigInt(asOf.block);
    totalSupply = await ctx.cache
      .at(asOf.block)
      .read("totalSupply", () => client.readContract({ address: ctx.token.address, abi: erc20Abi, functionName: "totalSupply", blockNumber: block }))
      .then((v) => tokenAmount(v, dec))
      .catch(() => null);
  }
  const p = presenter(ctx);
  const holdersCount = (db.prepare("SELECT COUNT(*) AS n FROM holders").get() as { n: number }).n;
  const transfersCount = (db.prepare("SELECT COUNT(*) AS n FROM transfers").get() as { n: number }).n;
  const supply = totalSupply ? BigInt(totalSupply.wei) : supplyWei;
  const holders = (db.prepare("SELECT address, balance FROM holders ORDER BY sort_key DESC, address LIMIT ? OFFSET ?").all(limit, offset) as { address: Address; balance: string }[]).map((h, i) => ({
    rank: offset + i + 1,
    address: addressValue(p, h.address),
    balance: tokenAmount(h.balance, dec),
    percent: supply > 0n ? `${(Number((BigInt(h.balance) * 1_000_000n) / supply) / 10_000).toFixed(4)}%` : null,
  }));
  return {
    address: ctx.token.address,
    name: ctx.token.name,
    symbol: ctx.token.symbol,
    decimals: dec,
    totalSupply,
    supplyFromTransfers: tokenAmount(supplyWei, dec),
    holdersCount,
    transfersCount,
    holders,
    transfers: transferRows(ctx, "", [], limit, offset),
    asOf,
    page,
    pages: Math.max(1, Math.ceil(Math.max(holdersCount, transfersCount) / limit)),
    limit,
  };
}
