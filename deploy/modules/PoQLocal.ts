import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { buildCore } from "./core";

/** Local deployment: a test token plus the core contracts, wired; the deployer (account 0) owns and guards. */
export default buildModule("PoQLocal", (m) => {
  const token = m.contract("TestToken", [m.getAccount(0)]);
  // Relayers: the local chain's accounts 1 and 2 (more can be added with setRelayer).
  return { token, ...buildCore(m, token, [m.getAccount(1), m.getAccount(2)]) };
});
