/**
 * Example: after `npm run deploy:local`, mint test tokens to the local development accounts, stake the four
 * inference nodes (accounts 3-6) and twelve evaluators (accounts 7-18) used by config/local/agents.json, and fund
 * the next round's pools.
 *
 *   npx hardhat run scripts/stake-and-fund.ts --network localhost
 */
import fs from "node:fs";
import path from "node:path";
import { ethers, network } from "hardhat";

const Role = { Inference: 1, Evaluator: 2 } as const;

async function main() {
  const { chainId } = await ethers.provider.getNetwork();
  const file = path.join(__dirname, "..", "deploy", "deployments", `chain-${chainId}`, "deployed_addresses.json");
  if (!fs.existsSync(file)) throw new Error(`no deployment for chain ${chainId} (${file}); deploy first`);
  const addresses: Record<string, string> = JSON.parse(fs.readFileSync(file, "utf8"));
  const pick = (name: string) => addresses[`PoQLocal#${name}`] ?? addresses[`PoQ#${name}`];

  const signers = await ethers.getSigners();
  const deployer = signers[0];
  const token = await ethers.getContractAt("TestToken", pick("TestToken"));
  const vault = await ethers.getContractAt("StakeVault", pick("StakeVault"));
  const settlement = await ethers.getContractAt("PoQSettlement", pick("PoQSettlement"));
  const distributor = await ethers.getContractAt("RewardDistributor", pick("RewardDistributor"));
  const stake = ethers.parseEther("1000");

  const nodes = signers.slice(3, 7);
  const evaluators = signers.slice(7, 19);
  for (const [signer, role] of [...nodes.map((s) => [s, Role.Inference] as const), ...evaluators.map((s) => [s, Role.Evaluator] as const)]) {
    await (await token.connect(deployer).mint(signer.address, stake)).wait();
    await (await token.connect(signer).approve(await vault.getAddress(), stake)).wait();
    await (await vault.connect(signer).stake(role, stake)).wait();
    console.log(`staked ${ethers.formatEther(stake)} for ${role === Role.Inference ? "inference" : "evaluator"} ${signer.address}`);
  }

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
