import type { AcceptanceCell } from "../acceptance";
import { runCell } from "./acceptanceGrid";

/** Child process of runAcceptanceGrid: runs the cells it is sent and returns each result. */
process.on("message", (msg: { type: "cell"; i: number; cell: AcceptanceCell } | { type: "done" }) => {
  if (msg.type === "done") {
    process.disconnect?.();
    return;
  }
  const result = runCell(msg.cell);
  process.send?.({ i: msg.i, result });
});
