/**
 * Example: after `npm run deploy:local`, mint test tokens to the local development accounts, stake the two relayers'
 * bonds (accounts 1-2), the four inference nodes (accounts 3-6) and twelve evaluators (accounts 7-18) used by
 * config/local/agents.json, and fund the next round's pools. Fails, before sending anything, with exit code 1 and a
 * message naming the 20 accounts needed if the node has fewer funded accounts (anvil: start it with `--accounts 20`).
 *
 *   npx hardhat run scripts/stake-and-fund.ts --network localhost
 */
import fs from "node:fs";
import path from "node:path";
import { ethers, network } from "hardhat";

const Role = { Inference: 1, Evaluator: 2, Relayer: 3 } as const;
const ROLE_NAMES = ["", "inference", "evaluator", "relayer"];

/** The local setup's accounts: 0 deploys and funds, 1-2 relay, 3-6 serve, 7-18 evaluate, 19 claims. */
const ACCOUNTS = 20;

async function main() {
  // The node's accounts first: with too few of them (anvil's default is 10), nothing is staked rather than some.
  const signers = await ethers.getSigners();
  const balances = await Promise.all(signers.slice(0, ACCOUNTS).map((s) => ethers.provider.getBalance(s.address)));
  const funded = balances.filter((b) => b > 0n).length;
  if (signers.length < ACCOUNTS || funded < ACCOUNTS) {
    throw new Error(
      `the node has ${signers.length} accounts, ${funded} of the first ${ACCOUNTS} funded; the local setup needs ${ACCOUNTS} funded accounts ` +
        `(accounts 0-${ACCOUNTS - 1}): start anvil with --accounts ${ACCOUNTS} (hardhat node has ${ACCOUNTS})`,
    );
  }
  const { chainId } = await ethers.provider.getNetwork();
  const file = path.join(__dirname, "..", "deploy", "deployments", `chain-${chainId}`, "deployed_addresses.json");
  if (!fs.existsSync(file)) throw new Error(`no deployment for chain ${chainId} (${file}); deploy first`);
  const addresses: Record<string, string> = JSON.parse(fs.readFileSync(file, "utf8"));
  const pick = (name: string) => addresses[`PoQLocal#${name}`] ?? addresses[`PoQ#${name}`];

  const deployer = signers[0];
  const token = await ethers.getContractAt("TestToken", pick("TestToken"));
  const vault = await ethers.getContractAt("StakeVault", pick("StakeVault"));
  const settlement = await ethers.getContractAt("PoQSettlement", pick("PoQSettlement"));
  const config = await ethers.getContractAt("SettlementConfig", pick("SettlementConfig"));
  const bond = (await config.params()).minRelayerBond;
  const distributor = await ethers.getContractAt("RewardDistributor", pick("RewardDistributor"));
  const stake = ethers.parseEther("1000");

  const relayers = signers.slice(1, 3);
  const nodes = signers.slice(3, 7);
  const evaluators = signers.slice(7, 19);
  const plan = [
    ...relayers.map((s) => [s, Role.Relayer, bond] as const),
    ...nodes.map((s) => [s, Role.Inference, stake] as const),
    ...evaluators.map((s) => [s, Role.Evaluator, stake] as const),
  ];
  // The deployer's mints go out back to back (one nonce after another) and are awaited together; then every staker
  // approves and stakes with its own key, all stakers at once: three block times in all instead of three per staker
  // (on anvil with --block-time 1 that is seconds instead of a minute).
  const mints = [];
  for (const [signer, , amount] of plan) mints.push(await token.connect(deployer).mint(signer.address, amount));
  await Promise.all(mints.map((tx) => tx.wait()));
  const vaultAddress = await vault.getAddress();
  await Promise.all(
    plan.map(async ([signer, role, amount]) => {
      await (await token.connect(signer).approve(vaultAddress, amount)).wait();
      await (await vault.connect(signer).stake(role, amount)).wait();
    }),
  );
  for (const [signer, role, amount] of plan) console.log(`staked ${ethers.formatEther(amount)} for ${ROLE_NAMES[role]} ${signer.address}`);

  const nextRound = (await settlement.roundCount()) + 1n;
  const inferencePool = ethers.parseEther("700");
  const evaluatorPool = ethers.parseEther("300");
  await (await token.mint(deployer.address, inferencePool + evaluatorPool)).wait();
  await (await token.approve(await distributor.getAddress(), inferencePool + evaluatorPool)).wait();
  await (await distributor.fundRound(nextRound, inferencePool, evaluatorPool)).wait();
  console.log(`funded round ${nextRound} on ${network.name}: inference ${ethers.formatEther(inferencePool)}, evaluator ${ethers.formatEther(evaluatorPool)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
