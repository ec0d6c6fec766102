import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { FolderContent } from "../protocol/folderStore";
import { HeliaContent } from "../protocol/helia";
import { ContentStore } from "../protocol/store";
import { resolveConfig } from "./config";
import { daemonContents, openDaemonContent } from "./run";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "poq-run-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("openDaemonContent", () => {
  test("behavior: by default the content backend is the daemon's own store folder; with helia, a node of its own on loopback", async () => {
    const flags = { devAccount: "1", storeDir: path.join(root, "a") };
    const folderCfg = resolveConfig({ env: {}, flags, single: "relayer" });
    const store = new ContentStore(folderCfg.storeDir);
    const folder = await openDaemonContent(folderCfg, store);
    expect(folder).toBeInstanceOf(FolderContent);
    expect((folder as FolderContent).store).toBe(store);
    const { cid, hash } = await folder.putOutput("an output");
    expect(store.getText(hash)).toBe("an output");

    const heliaCfg = resolveConfig({ env: {}, flags: { ...flags, storeDir: path.join(root, "b"), content: "helia" }, single: "relayer" });
    const helia = await openDaemonContent(heliaCfg, new ContentStore(heliaCfg.storeDir));
    try {
      expect(helia).toBeInstanceOf(HeliaContent);
      expect((helia as HeliaContent).dir).toBe(path.join(heliaCfg.storeDir, "ipfs"));
      const info = await helia.info();
      expect(info.addresses.every((a) => a.startsWith("/ip4/127.0.0.1/tcp/"))).toBe(true);
      expect(await helia.has(cid)).toBe(false); // its own blockstore: nothing shared with the folder
    } finally {
      await helia.close();
    }
  });

  test("behavior: with an embedded node, each agent of a process gets its own node and store folder; otherwise they share one", async () => {
    const logged: object[] = [];
    const logger = { info: (o: object) => void logged.push(o), warn: () => undefined };
    const storeDir = path.join(root, "multi");
    const cfg = resolveConfig({
      env: {},
      file: (() => {
        const f = path.join(root, "multi.json");
        fs.writeFileSync(f, JSON.stringify({ storeDir, content: "helia", agents: [{ type: "funder", devAccount: 0 }, { type: "evaluator", devAccount: 7 }, { type: "evaluator", devAccount: 8 }] }));
        return f;
      })(),
    });
    const contents = daemonContents(cfg, logger);
    expect(contents.perAgent).toBe(true);
    try {
      const [a, b] = [await contents.forAgent(cfg.agents[1]), await contents.forAgent(cfg.agents[2])];
      expect(a.store.dir).not.toBe(b.store.dir);
      expect(path.dirname(a.store.dir)).toBe(storeDir);
      const [ia, ib] = [await a.content.info(), await b.content.info()];
      expect(ia.peerId).not.toBe(ib.peerId);
      expect((a.content as HeliaContent).dir).toBe(path.join(storeDir, "ipfs", path.basename(a.store.dir)));
      const { cid } = await a.content.putOutput("only in a's node");
      expect(await b.content.has(cid)).toBe(false);
      expect(logged).toHaveLength(2);
    } finally {
      await contents.close();
    }
    // one agent, or the folder store: a single backend, opened once
    const single = daemonContents({ ...cfg, agents: cfg.agents.slice(0, 2) }, logger);
    expect(single.perAgent).toBe(false);
    const folder = daemonContents({ ...cfg, content: { kind: "folder", dir: storeDir } }, logger);
    expect(folder.perAgent).toBe(false);
    const [x, y] = [await folder.forAgent(cfg.agents[1]), await folder.forAgent(cfg.agents[2])];
    expect(x).toBe(y);
    expect(x.content).toBeInstanceOf(FolderContent);
    await Promise.all([single.close(), folder.close()]);
  });
});
