// solidity-coverage (`npx hardhat coverage`). Test-only contracts (tokens, harnesses, the invariant probe) are not
// measured. Under coverage the invariant test runs 10 sequences unless POQ_INVARIANT_RUNS says otherwise.
module.exports = {
  skipFiles: ["test/"],
  mocha: { timeout: 600000 },
  istanbulReporter: ["html", "lcov", "text", "json", "json-summary"],
};
