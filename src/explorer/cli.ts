import type { Command } from "commander";
import { createLogger, errorLine, shutdownSignal } from "../runtime";
import { InputError } from "../errors";
import { addressPage, parseAddress, parseRoundId, parseTxHash, roundPage } from "./api";
import { txPage } from "./chainApi";
import { renderAddress, renderChallenges, renderGovernance, renderRound, renderTx } from "./inspect";
import { challengesPage, governancePage } from "./governance";
import { openExplorer, resolveExplorerConfig, type ExplorerFlags } from "./run";
import { createExplorerServer } from "./server";
import { contentOptions, contentSettings } from "../protocol/contentSettings";

/** Options shared by `poq explorer` and `poq inspect` (the content options as the daemons have them). */
function chainOptions(c: Command): Command {
  return contentOptions(c)
    .option("--rpc <url>", "JSON-RPC URL (POQ_RPC_URL; default http://127.0.0.1:8545)")
    .option("--deployment <file>", "deployment addresses (POQ_DEPLOYMENT; default deploy/deployments/chain-<id>/deployed_addresses.json)")
    .option("--store <dir>", "content store with the relayers' payloads (POQ_STORE; default .poq/store when it exists); with --content helia or kubo the explorer's own store, filled with the content it fetches (created; default .poq/store)")
    .option("--db <file>", "SQLite index (POQ_EXPLORER_DB; default .poq/data/explorer-<chainId>.sqlite)")
    .option("--labels <file>", "name tags: a JSON object of address to label (POQ_EXPLORER_LABELS)")
    .option("--confirmations <n>", "index blocks once this many blocks follow them (POQ_CONFIRMATIONS; default 1)")
    .option("--from-block <n>", "first block to index (default: the deployment block from the Ignition journal, else 0)");
}

function flagsOf(o: Record<string, string | boolean | undefined>): ExplorerFlags {
  const keys = ["rpc", "deployment", "store", "db", "labels", "confirmations", "fromBlock", "port", "host", "pollMs", "logLevel", ...Object.keys(contentSettings("."))];
  const flags: ExplorerFlags = Object.fromEntries(keys.map((k) => [k, o[k] as string | undefined]));
  if (o.archive) flags.archive = "true";
  return flags;
}

export function registerExplorer(program: Command): void {
  chainOptions(program.command("explorer").description("index the PoQ contracts' blocks, transactions and events into SQLite and serve the explorer: rounds, addresses, transactions, blocks, token, JSON API"))
    .option("--port <n>", "HTTP port (POQ_EXPLORER_PORT; default 8080; 0 picks a free port)")
    .option("--host <addr>", "interface to listen on (default 127.0.0.1)")
    .option("--poll-ms <n>", "polling interval (POQ_POLL_MS; default 1000)")
    .option("--log-level <level>", "pino level (info, debug, warn)")
    .option("--archive", "archive: pin in the IPFS node every CID the rounds point to on chain and every output their manifests list, and never unpin them (POQ_EXPLORER_ARCHIVE=true; needs --content helia or kubo)")
    .action(async (o) => {
      const cfg = resolveExplorerConfig(flagsOf(o));
      const logger = createLogger("poq-explorer", { level: cfg.logLevel });
      const opened = await openExplorer(cfg, { logger });
      const { indexer, ctx } = opened;
      let lastOk = 0;
      const healthWindow = Math.max(30_000, cfg.pollMs * 20);
      const server = createExplorerServer({
        ctx,
        logger,
        health: () => ({ ok: lastOk > 0 && Date.now() - lastOk < healthWindow, indexed_block: ctx.db.getSync()?.blockNumber ?? null, last_sync_ms_ago: lastOk ? Date.now() - lastOk : null }),
      });
      let url: string;
      try {
        ({ url } = await server.listen(cfg.port, cfg.host));
      } catch (e) {
        await opened.close();
        throw new InputError(`cannot listen on ${cfg.host}:${cfg.port}: ${(e as Error).message}`);
      }
      const ac = shutdownSignal(logger);
      logger.info({ url, db: ctx.db.file, store: cfg.storeDir ?? null, content: cfg.content?.kind ?? null, archive: cfg.archive, confirmations: cfg.confirmations, from_block: indexer.deployment.fromBlock?.toString() }, "listening");
      let synced = false;
      const loop = async () => {
        while (!ac.signal.aborted) {
          try {
            const r = await indexer.sync();
            lastOk = Date.now();
            if (!synced) {
              synced = true;
              logger.info({ block: r.indexedBlock ?? null, head: r.headBlock, rounds: ctx.db.db.prepare("SELECT COUNT(*) AS n FROM rounds").pluck().get() }, "synced");
            }
          } catch (e) {
            if (ac.signal.aborted) break;
            logger.warn({ err: errorLine(e) }, "sync failed; retrying at the next poll");
          }
          await new Promise<void>((r) => {
            const t = setTimeout(r, cfg.pollMs);
            ac.signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
          });
        }
      };
      await loop();
      await server.close();
      await opened.close();
      logger.info("stopped");
    });

  const inspect = program.command("inspect").description("show a round, an address, a transaction, governance or the challenges in the terminal (catches the index up first)");
  const sub = (name: string, arg: string | null, description: string, parse: (v: string) => unknown, show: (opened: Awaited<ReturnType<typeof openExplorer>>, v: string, json: boolean) => Promise<string>) =>
    chainOptions(inspect.command(arg ? `${name} <${arg}>` : name).description(description))
      .option("--json", "print the JSON the API serves")
      .action(async (...a: unknown[]) => {
        const [v, o] = (arg ? a : ["", a[0]]) as [string, Record<string, string | undefined>];
        parse(v); // malformed input fails before any connection
        const cfg = resolveExplorerConfig(flagsOf(o));
        const opened = await openExplorer(cfg, { logger: createLogger("poq-inspect", { level: "warn", destination: 2 }) });
        try {
          await opened.indexer.sync();
          process.stdout.write(`${await show(opened, v, !!o.json)}\n`);
        } finally {
          await opened.close();
        }
      });
  const sym = (x: Awaited<ReturnType<typeof openExplorer>>) => x.ctx.token.symbol;
  sub("round", "n", "a round: phase and every open deadline, seed, gold, breaker, excluded tasks, settlement attempts, vetoes, challenges, evaluators, rewards, slashes, refunds, tasks", parseRoundId, async (x, v, json) => {
    const p = await roundPage(x.ctx, v);
    return json ? JSON.stringify(p) : renderRound(p, sym(x));
  });
  sub("address", "address", "an address: roles, stake and relayer bond, unbonding queue, withdrawal lock, trust, rewards, claims, claimable balance with proof, challenges, refunds, slashes", parseAddress, async (x, v, json) => {
    const p = await addressPage(x.ctx, v);
    return json ? JSON.stringify(p) : renderAddress(p, sym(x));
  });
  sub("governance", null, "governance: the timelock's queued operations (decoded, with their ready time and state), its delay against the required delay, the parameters in force, relayers and guardian", () => undefined, async (x, _v, json) => {
    const p = await governancePage(x.ctx);
    return json ? JSON.stringify(p) : renderGovernance(p, sym(x));
  });
  sub("challenges", null, "challenges: kind, subject, bond, deadline, status and outcome of every bonded challenge, and proven violations", () => undefined, async (x, _v, json) => {
    const p = challengesPage(x.ctx);
    return json ? JSON.stringify(p) : renderChallenges(p, sym(x));
  });
  sub("tx", "hash", "a transaction: status, fee, gas, value, decoded call, token transfers and events", parseTxHash, async (x, v, json) => {
    const p = await txPage(x.ctx, v);
    return json ? JSON.stringify(p) : renderTx(p);
  });
}
