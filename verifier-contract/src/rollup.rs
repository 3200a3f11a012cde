//! The `Rollup` contract: its source and committed build (creation code and
//! ABI, from [`crate::solc`] with the optimiser on), its ABI as Rust types,
//! and a client that deploys and drives it on an [`L1`].

use crate::evm::{L1Error, L1};
use crate::solc::{Compiled, Solc, SolcError};
use alloy_sol_types::{sol, SolCall, SolConstructor, SolEvent, SolInterface};
use prover::wrap::instances::WrapInstances;
use revm::primitives::{Address, B256, U256};

/// The contract's source.
pub const ROLLUP_SOURCE: &str = include_str!("../contracts/Rollup.sol");
/// The committed creation code, hex (no constructor arguments).
pub const ROLLUP_BYTECODE_HEX: &str = include_str!("../contracts/Rollup.bin");
/// The committed ABI (JSON).
pub const ROLLUP_ABI_JSON: &str = include_str!("../contracts/Rollup.abi.json");
/// The source unit name the committed build was compiled under.
pub const ROLLUP_UNIT: &str = "Rollup.sol";

sol! {
    /// The ABI of `contracts/Rollup.sol`.
    contract Rollup {
        constructor(address verifier_, uint64 chainId_, bytes32 genesisRoot);
        function stateRoot() external view returns (bytes32);
        function batchCount() external view returns (uint256);
        function submitBatch(bytes32 dataHash, bytes32 newRoot, bytes calldata proof) external;
        event BatchFinalized(uint256 indexed batchIndex, bytes32 indexed dataHash, bytes32 oldRoot, bytes32 newRoot);
        error VerifierHasNoCode(address verifier);
        error BatchAlreadyAccepted(bytes32 dataHash);
        error InvalidProof();
    }
}

/// Compiles `contracts/Rollup.sol` as the committed build was.
pub fn compile_rollup(solc: &Solc) -> Result<Compiled, SolcError> {
    solc.compile(ROLLUP_UNIT, ROLLUP_SOURCE, "Rollup", true)
}

/// The committed creation code.
pub fn rollup_bytecode() -> Vec<u8> {
    hex::decode(ROLLUP_BYTECODE_HEX.trim()).expect("contracts/Rollup.bin is hex")
}

/// Why the rollup refused a call, or the call could not run.
#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    /// The transaction was invalid.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The verifier rejected the proof for the stored root and the given values.
    #[error("the verifier rejected the proof")]
    InvalidProof,
    /// The batch's data hash was accepted before.
    #[error("batch {0} was already accepted")]
    BatchAlreadyAccepted(B256),
    /// The verifier address holds no code.
    #[error("verifier {0} has no code")]
    VerifierHasNoCode(Address),
    /// Any other revert or halt.
    #[error("reverted with 0x{0}")]
    Reverted(String),
    /// A call returned data that does not decode.
    #[error("undecodable return data from {function}: {reason}")]
    Decode {
        /// The function called.
        function: &'static str,
        /// What went wrong.
        reason: String,
    },
}

impl RollupError {
    fn from_revert(output: &[u8]) -> Self {
        match Rollup::RollupErrors::abi_decode(output) {
            Ok(Rollup::RollupErrors::InvalidProof(_)) => Self::InvalidProof,
            Ok(Rollup::RollupErrors::BatchAlreadyAccepted(e)) => Self::BatchAlreadyAccepted(e.dataHash),
            Ok(Rollup::RollupErrors::VerifierHasNoCode(e)) => Self::VerifierHasNoCode(e.verifier),
            Err(_) => Self::Reverted(hex::encode(output)),
        }
    }
}

/// An accepted batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The batch's index (from the `BatchFinalized` event).
    pub batch_index: u64,
    /// The root before it.
    pub old_root: B256,
    /// The root after it.
    pub new_root: B256,
    /// Gas the `submitBatch` transaction used.
    pub gas_used: u64,
}

/// A deployed `Rollup`.
#[derive(Clone, Copy, Debug)]
pub struct RollupClient {
    /// The contract's address.
    pub address: Address,
}

impl RollupClient {
    /// Deploys the committed `Rollup` build with `verifier`, `chain_id` and
    /// the genesis root.
    pub fn deploy(l1: &mut L1, verifier: Address, chain_id: u64, genesis_root: B256) -> Result<Self, RollupError> {
        let mut code = rollup_bytecode();
        code.extend(
            Rollup::constructorCall {
                verifier_: verifier,
                chainId_: chain_id,
                genesisRoot: genesis_root,
            }
            .abi_encode(),
        );
        let outcome = l1.deploy(code)?;
        match outcome.created {
            Some(address) if outcome.success => Ok(Self { address }),
            _ => Err(RollupError::from_revert(&outcome.output)),
        }
    }

    /// Submits a batch: its data hash, the new root and the wrap proof.
    pub fn submit_batch(
        &self,
        l1: &mut L1,
        data_hash: B256,
        new_root: B256,
        proof: &[u8],
    ) -> Result<Accepted, RollupError> {
        let call = Rollup::submitBatchCall {
            dataHash: data_hash,
            newRoot: new_root,
            proof: proof.to_vec().into(),
        };
        let outcome = l1.call(self.address, call.abi_encode())?;
        if !outcome.success {
            return Err(RollupError::from_revert(&outcome.output));
        }
        let event = outcome
            .logs
            .iter()
            .find_map(|log| Rollup::BatchFinalized::decode_log_data(&log.data).ok())
            .ok_or(RollupError::Decode {
                function: "submitBatch",
                reason: "no BatchFinalized event".into(),
            })?;
        Ok(Accepted {
            batch_index: u64::try_from(event.batchIndex).map_err(|e| RollupError::Decode {
                function: "submitBatch",
                reason: e.to_string(),
            })?,
            old_root: event.oldRoot,
            new_root: event.newRoot,
            gas_used: outcome.gas_used,
        })
    }

    /// The stored state root.
    pub fn state_root(&self, l1: &mut L1) -> Result<B256, RollupError> {
        self.view::<Rollup::stateRootCall>(l1, Rollup::stateRootCall {}, "stateRoot")
    }

    /// How many batches were accepted.
    pub fn batch_count(&self, l1: &mut L1) -> Result<U256, RollupError> {
        self.view::<Rollup::batchCountCall>(l1, Rollup::batchCountCall {}, "batchCount")
    }

    fn view<C: SolCall>(&self, l1: &mut L1, call: C, function: &'static str) -> Result<C::Return, RollupError> {
        let outcome = l1.call(self.address, call.abi_encode())?;
        if !outcome.success {
            return Err(RollupError::from_revert(&outcome.output));
        }
        C::abi_decode_returns(&outcome.output).map_err(|e| RollupError::Decode {
            function,
            reason: e.to_string(),
        })
    }
}

/// The public inputs `Rollup` passes its verifier for a batch on `chain_id`
/// from `old_root` (its stored root) to `new_root`.
pub fn batch_instances(old_root: B256, new_root: B256, data_hash: B256, chain_id: u64) -> WrapInstances {
    WrapInstances {
        old_root: old_root.0,
        new_root: new_root.0,
        data_hash: data_hash.0,
        chain_id,
    }
}
