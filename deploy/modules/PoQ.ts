import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { buildCore } from "./core";

/**
 * Production deployment around an existing ERC-20 (parameters `token` and `relayers`, required). See `deploy/parameters/` and
 * docs/operations.md.
 */
export default buildModule("PoQ", (m) => {
  const token = m.contractAt("IERC20", m.getParameter("token"));
  return { token, ...buildCore(m, token, m.getParameter("relayers")) };
});
