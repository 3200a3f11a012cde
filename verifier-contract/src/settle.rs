//! Settling a wrap proof on a chain: deploy its verifier and a `Rollup` at
//! the statement's old root, check the proof with the verifier alone, then
//! submit the batch and see the root advance. What `zkr l1 verify` and the
//! wrap benchmark run inside [`L1`].

use crate::artifact::WrapArtifact;
use crate::evm::{L1Error, L1};
use crate::rollup::{Accepted, RollupClient, RollupError};
use crate::verifier::{verifier_calldata, MAX_RUNTIME_SIZE};
use revm::primitives::{Address, B256};

/// What settling a wrap proof did.
#[derive(Clone, Debug)]
pub struct Settlement {
    /// Where the verifier was deployed.
    pub verifier: Address,
    /// Gas of a transaction calling the verifier alone (the proof check).
    pub verifier_gas: u64,
    /// The rollup contract, deployed at the statement's old root.
    pub rollup: RollupClient,
    /// The accepted batch (`submitBatch`'s gas includes the proof check).
    pub accepted: Accepted,
}

/// Why a wrap proof did not settle.
#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    /// revm failed (not a revert).
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The verifier's creation code did not deploy.
    #[error("the verifier ({0} bytes of creation code) did not deploy (EIP-170 limits runtime code to {MAX_RUNTIME_SIZE} bytes)")]
    VerifierDeploy(usize),
    /// The verifier rejected the proof when called alone.
    #[error("the verifier rejected the proof (gas used {gas_used})")]
    VerifierRejected {
        /// Gas the failed call used.
        gas_used: u64,
    },
    /// The rollup contract did not deploy or rejected the batch.
    #[error("rollup: {0}")]
    Rollup(#[from] RollupError),
}

/// Deploys `artifact`'s verifier and a rollup at its statement's old root and
/// chain id on `l1`, checks the proof with the verifier, and submits the batch.
pub fn settle(l1: &mut L1, artifact: &WrapArtifact) -> Result<Settlement, SettleError> {
    let deployed = l1.deploy(artifact.verifier_bytecode.clone())?;
    let verifier = deployed
        .created
        .filter(|_| deployed.success)
        .ok_or(SettleError::VerifierDeploy(artifact.verifier_bytecode.len()))?;
    let statement = &artifact.statement;
    let direct = l1.call(verifier, verifier_calldata(&statement.to_scalars(), &artifact.proof))?;
    if !direct.success {
        return Err(SettleError::VerifierRejected {
            gas_used: direct.gas_used,
        });
    }
    let rollup = RollupClient::deploy(l1, verifier, statement.chain_id, B256::from(statement.old_root))?;
    let accepted = rollup.submit_batch(
        l1,
        B256::from(statement.data_hash),
        B256::from(statement.new_root),
        &artifact.proof,
    )?;
    Ok(Settlement {
        verifier,
        verifier_gas: direct.gas_used,
        rollup,
        accepted,
    })
}
