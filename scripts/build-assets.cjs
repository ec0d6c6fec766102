// Copies the files `tsc` does not emit into dist/: the explorer's stylesheet and script, served from next to the
// compiled server (dist/explorer/static). Without them an installed explorer answers 500 for /static/*.
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
for (const dir of ["explorer/static"]) {
  const from = path.join(root, "src", dir);
  const to = path.join(root, "dist", dir);
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}
