// Copies the files `tsc` does not emit into dist/: the explorer's stylesheet and script, served from next to the
// compiled server (dist/explorer/static). Without them an installed explorer answers 500 for /static/*.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
for (const dir of ["explorer/static"]) {
  const from = path.join(root, "src", dir);
  const to = path.join(root, "dist", dir);
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}
