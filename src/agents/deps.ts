import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import type { TxSender } from "../chain/tx";
import type { ContentStore } from "../protocol/store";
import type { Checkpoint } from "./checkpoint";
import type { Common } from "./daemon";

/** What every agent is handed: the process's common bag, the chain, the deployment, the content store, a sender, its checkpoint and its config. */
export type AgentDeps<Config> = {
  common: Common;
  clients: Clients;
  deployment: Deployment;
  store: ContentStore;
  sender: TxSender;
  checkpoint: Checkpoint;
  config: Config;
};
