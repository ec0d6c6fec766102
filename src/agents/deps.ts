import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import type { TxSender } from "../chain/tx";
import type { Content } from "../protocol/content";
import type { ContentStore } from "../protocol/store";
import type { Checkpoint } from "./checkpoint";
import type { Common } from "./daemon";

/**
 * What every agent is handed: the process's common bag, the chain, the deployment, the local store, the content
 * backend, a sender, its checkpoint and its config.
 */
export type AgentDeps<Config> = {
  common: Common;
  clients: Clients;
  deployment: Deployment;
  /** This daemon's own folder: its indexes, its pending outputs, and a copy of every object it published or fetched. */
  store: ContentStore;
  /**
   * Where content is published to and fetched from by CID (`cfg.content`): the folder store itself, an embedded IPFS
   * node, or a Kubo node. Absent: the local store only (one machine, one shared folder).
   */
  content?: Content;
  sender: TxSender;
  checkpoint: Checkpoint;
  config: Config;
};
