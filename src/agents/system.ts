import type { Hex } from "viem";
import type { Clients } from "../chain/client";
import { walletFor } from "../chain/client";
import { createTxSender, type TxSender } from "../chain/tx";
import type { Common } from "./daemon";

/** A transaction sender for `key` on the shared clients, logging through `common`. */
export function senderFor(clients: Clients, key: Hex, common: Common, confirmations = 1): TxSender {
  return createTxSender({
    publicClient: clients.publicClient,
    walletClient: walletFor(clients, key),
    confirmations,
    logger: common.logger,
    retry: { attempts: 8, baseDelayMs: 250, maxDelayMs: 4_000, signal: common.signal },
  });
}

