// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISettlementConfig
/// @notice What governance sets for the settlement contract: versioned parameters (a round keeps the version it was
/// registered with), the relayer set and the guardian. Owned by a {TimelockController} whose delay covers the
/// unbonding period plus the longest round, so every change is public for longer than it takes a staker to leave.
interface ISettlementConfig {
    /* TYPES */

    /// @notice Governance-set parameters, each checked against hard bounds. A round keeps the version it was
    /// registered under for its whole life.
    /// @param assignDuration Seconds from registration to the assignment deadline.
    /// @param commitDuration Seconds of the evaluators' commit window, from assignment acceptance.
    /// @param revealDuration Seconds of the evaluators' reveal window, after the commit window.
    /// @param settleWindow Seconds of settlement time after the latest possible reveal deadline; a round not accepted
    /// by then (plus extensions) expires.
    /// @param settleCommitDuration Seconds of one settlement attempt's commit window, from its first commit.
    /// @param settleRevealDuration Seconds of one settlement attempt's reveal window, after its commit window.
    /// @param challengeDuration Seconds of the challenge window after acceptance.
    /// @param responseDuration Seconds the relayers have to answer a challenge that asks them for a proof.
    /// @param maxTasks Largest task batch.
    /// @param seedDelay Blocks between the registration block and the seed block (1..128).
    /// @param k Evaluators per task.
    /// @param quorum Bonded relayers that must agree on an assignment and on a settlement.
    /// @param maxVetoes Guardian vetoes allowed per round.
    /// @param maxExtensions Vetoes plus upheld challenges that extend a round's expiry, per round.
    /// @param maxOpenRounds Rounds registered but not closed, at most, when a new one registers.
    /// @param nonRevealSlashBps Slash of a committed evaluator that did not reveal, in basis points of its stake.
    /// @param lowTrustSlashBps Slash of an evaluator in a settlement's low-trust list, in basis points of its stake.
    /// @param maxLowTrustSlashes Longest low-trust slash list of one settlement.
    /// @param maxRoundPools Most a round's two pools may hold together (token units).
    /// @param minRelayerBond Relayer-role stake a relayer needs to register, vote and settle (token units).
    /// @param minChallengeBond Bond a challenger posts with a challenge that asks for a proof (token units).
    /// @param challengeRewardBps Share of the seized relayer bonds paid to the challenger of a rejected settlement.
    /// @param failedChallengeBps Share of a dismissed challenge's bond paid to whoever answered it.
    /// @param policyHash Hash of the off-chain policy (scoring profile, consensus and reward parameters) that
    /// relayers must use; relayers refuse to settle under a different policy.
    /// @param goldPoolRoot Root of the committed pool of gold items (known-quality outputs), zero for none.
    /// @param goldPoolSize Number of items in the gold pool.
    struct Params {
        uint32 assignDuration;
        uint32 commitDuration;
        uint32 revealDuration;
        uint32 settleWindow;
        uint32 settleCommitDuration;
        uint32 settleRevealDuration;
        uint32 challengeDuration;
        uint32 responseDuration;
        uint32 maxTasks;
        uint8 seedDelay;
        uint8 k;
        uint8 quorum;
        uint8 maxVetoes;
        uint8 maxExtensions;
        uint8 maxOpenRounds;
        uint16 nonRevealSlashBps;
        uint16 lowTrustSlashBps;
        uint16 maxLowTrustSlashes;
        uint16 challengeRewardBps;
        uint16 failedChallengeBps;
        uint128 maxRoundPools;
        uint128 minRelayerBond;
        uint128 minChallengeBond;
        bytes32 policyHash;
        bytes32 goldPoolRoot;
        uint32 goldPoolSize;
    }

    /* ERRORS */

    /// @notice A parameter outside its hard bounds.
    error ConfigParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    /// @notice The setter was called with the values already in force.
    error ConfigUnchanged();
    /// @notice The quorum would exceed the number of relayers.
    error ConfigQuorumAboveRelayers(uint256 quorum, uint256 relayers);
    /// @notice The relayer is already in the requested state.
    error ConfigRelayerUnchanged(address relayer, bool enabled);
    /// @notice Every relayer id has been used ({MAX_RELAYER_IDS} relayers over the contract's life).
    error ConfigRelayerIdsExhausted();
    /// @notice The zero address was given.
    error ConfigZeroAddress();
    /// @notice The caller may not wire the contracts (only the deployer, once).
    error ConfigNotDeployer(address caller);

    /* EVENTS */

    /// @notice Emitted when governance sets new parameters.
    event ParamsSet(uint256 indexed version, ISettlementConfig.Params params);
    /// @notice Emitted when a relayer is added or removed; `id` is its permanent vote bit.
    event RelayerSet(address indexed relayer, uint256 id, bool enabled);
    /// @notice Emitted when the guardian changes.
    event GuardianSet(address indexed guardian);

    /* GOVERNANCE */

    /// @notice Sets all parameters at once, each within its hard bounds, and bumps the parameter version. Rounds keep
    /// the version they were registered under.
    /// Requirements: caller is the owner, a timelock with a long enough delay (checked after the change); the values
    /// differ from the current ones; quorum ≤ relayers; `quorum × minRelayerBond ≥ maxRoundPools`.
    /// Emits a {ParamsSet} event.
    /// @param params The new parameters.
    function setParams(Params calldata params) external;

    /// @notice Adds or removes a relayer. A removed relayer's votes stop counting at once, in every open round; its
    /// bond stays seizable for the settlements it revealed.
    /// Requirements: caller is the owner, a timelock with a long enough delay; removal keeps at least `quorum`
    /// relayers.
    /// Emits a {RelayerSet} event.
    /// @param relayer The relayer.
    /// @param enabled Add (true) or remove (false).
    function setRelayer(address relayer, bool enabled) external;

    /// @notice Sets the guardian (the address that may veto a bounded number of times, and cancel a round before its
    /// seed block is mined).
    /// Requirements: caller is the owner, a timelock with a long enough delay; a new, non-zero address.
    /// Emits a {GuardianSet} event.
    /// @param guardian The new guardian.
    function setGuardian(address guardian) external;

    /// @notice Wires in the stake vault (whose unbonding period governance's delay must cover). Callable once, by
    /// the deployer.
    /// @param vault The stake vault.
    function setVault(address vault) external;

    /* VIEWS */

    /// @notice The current parameter version (incremented by every {ParamsSet}).
    /// @return The version.
    function paramsVersion() external view returns (uint256);
    /// @notice The current parameters.
    /// @return The parameters new rounds register with.
    function params() external view returns (Params memory);
    /// @notice The parameters of version `version`.
    /// @param version A parameter version.
    /// @return The parameters.
    function paramsAt(uint256 version) external view returns (Params memory);
    /// @notice The longest a round can last under the current parameters, from registration to the end of its last
    /// possible challenge answer: what governance's delay must cover beside unbonding.
    /// @return Seconds.
    function maxRoundLifetime() external view returns (uint256);
    /// @notice Whether `account` is a current relayer.
    /// @param account The account.
    /// @return True for a relayer.
    function isRelayer(address account) external view returns (bool);
    /// @notice The permanent vote bit of `relayer` (0: never a relayer) and whether it is current.
    /// @param relayer The relayer.
    /// @return id The id.
    /// @return current Whether it is a current relayer.
    function relayerId(address relayer) external view returns (uint256 id, bool current);
    /// @notice The relayer with vote bit `id`.
    /// @param id The id.
    /// @return The relayer.
    function relayerById(uint256 id) external view returns (address);
    /// @notice How many current relayers have their vote bit set in `voters`.
    /// @param voters A bitmap of relayer ids.
    /// @return The count.
    function countCurrent(uint256 voters) external view returns (uint256);
    /// @notice The number of current relayers.
    /// @return The count.
    function relayerCount() external view returns (uint256);
    /// @notice The guardian.
    /// @return Its address.
    function guardian() external view returns (address);
    /// @notice The stake vault.
    /// @return Its address.
    function vault() external view returns (address);
}
