import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { FolderContent } from "../protocol/folderStore";
import { HeliaContent } from "../protocol/helia";
import { ContentStore } from "../protocol/store";
import { resolveConfig } from "./config";
import { openDaemonContent } from "./run";

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
});
