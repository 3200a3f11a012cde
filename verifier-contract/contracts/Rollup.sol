// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.19;

/// @title zkr rollup
/// @notice The L1 record of the rollup's state: the latest state root, advanced
/// one batch at a time by a wrap proof. A proof attests that executing the
/// batch whose data hashes to `dataHash`, on chain `chainId`, takes the state
/// from the stored root to `newRoot`.
/// @dev The verifier is the contract generated from the wrap circuit's
/// verifying key: it reads seven 32-byte public inputs and then the proof from
/// its calldata, returns nothing on success and reverts otherwise. The public
/// inputs are, in order: the old root's top and bottom 128 bits, the new
/// root's, the data hash's (each word read big-endian), and the chain id.
contract Rollup {
    /// @notice The wrap proof verifier.
    address public immutable verifier;
    /// @notice The rollup's chain id, bound into every proof.
    uint64 public immutable chainId;
    /// @notice The state root after the last accepted batch.
    bytes32 public stateRoot;
    /// @notice How many batches have been accepted.
    uint256 public batchCount;
    /// @notice The data hashes of the accepted batches.
    mapping(bytes32 => bool) public accepted;

    /// @notice A batch was proven and the state root advanced.
    event BatchFinalized(uint256 indexed batchIndex, bytes32 indexed dataHash, bytes32 oldRoot, bytes32 newRoot);

    /// @notice The verifier address holds no code.
    error VerifierHasNoCode(address verifier);
    /// @notice A batch with this data hash was already accepted.
    error BatchAlreadyAccepted(bytes32 dataHash);
    /// @notice The verifier rejected the proof for these public inputs.
    error InvalidProof();

    uint256 private constant LOW_128 = (1 << 128) - 1;

    constructor(address verifier_, uint64 chainId_, bytes32 genesisRoot) {
        if (verifier_.code.length == 0) revert VerifierHasNoCode(verifier_);
        verifier = verifier_;
        chainId = chainId_;
        stateRoot = genesisRoot;
    }

    /// @notice Accepts the batch with data hash `dataHash` if `proof` shows it
    /// takes the stored root to `newRoot`; then stores `newRoot`.
    function submitBatch(bytes32 dataHash, bytes32 newRoot, bytes calldata proof) external {
        if (accepted[dataHash]) revert BatchAlreadyAccepted(dataHash);
        bytes32 oldRoot = stateRoot;
        bytes memory input = abi.encodePacked(
            uint256(oldRoot) >> 128,
            uint256(oldRoot) & LOW_128,
            uint256(newRoot) >> 128,
            uint256(newRoot) & LOW_128,
            uint256(dataHash) >> 128,
            uint256(dataHash) & LOW_128,
            uint256(chainId),
            proof
        );
        (bool ok,) = verifier.staticcall(input);
        if (!ok) revert InvalidProof();
        accepted[dataHash] = true;
        stateRoot = newRoot;
        emit BatchFinalized(batchCount, dataHash, oldRoot, newRoot);
        batchCount += 1;
    }
}
