//! The bundled wrap proof of the zkEVM demo block (`data/wrap/demo.wrap`,
//! made by `zkr wrap`) on the contracts: its verifier rebuilds from its
//! source, fits EIP-170, accepts the proof, and the rollup advances with it
//! only for the statement it proves. (That the statement is the demo block's
//! roots and digest is checked in the CLI's tests, which can execute the
//! block.)

use halo2_proofs::halo2curves::bn256::Fr;
use revm::primitives::B256;
use std::path::Path;
use verifier_contract::artifact::WrapArtifact;
use verifier_contract::evm::L1;
use verifier_contract::rollup::{RollupClient, RollupError};
use verifier_contract::settle::{settle, SettleError};
use verifier_contract::solc::Solc;
use verifier_contract::verifier::{compile_verifier, verifier_calldata, CompileVerifierError, MAX_RUNTIME_SIZE};

fn demo() -> WrapArtifact {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/wrap/demo.wrap");
    WrapArtifact::read(&path).expect("the bundled wrap proof reads")
}

/// `word` with one bit flipped.
fn flipped(word: [u8; 32]) -> B256 {
    let mut word = word;
    word[31] ^= 1;
    B256::from(word)
}

#[test]
fn demo_verifier_rebuilds_from_its_source_and_fits_eip170() {
    let artifact = demo();
    let solc = Solc::locate().expect("solc-js (scripts/test installs it)");
    let compiled = compile_verifier(&solc, &artifact.verifier_source).expect("the verifier compiles and fits");
    assert!(compiled.runtime_size <= MAX_RUNTIME_SIZE);
    assert_eq!(
        compiled.bytecode, artifact.verifier_bytecode,
        "the bundled bytecode is what solc builds from the bundled source"
    );
}

#[test]
fn a_verifier_over_eip170_is_refused() {
    // Runtime code holding a constant one byte longer than the limit.
    let blob = "ab".repeat(MAX_RUNTIME_SIZE + 1);
    let source = format!(
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.19;\n\
         contract Halo2Verifier {{ function blob() external pure returns (bytes memory) {{ return hex\"{blob}\"; }} }}"
    );
    let solc = Solc::locate().expect("solc-js (scripts/test installs it)");
    let err = compile_verifier(&solc, &source).unwrap_err();
    assert!(
        matches!(err, CompileVerifierError::TooLarge { runtime_size } if runtime_size > MAX_RUNTIME_SIZE),
        "{err}"
    );
}

#[test]
fn demo_wrap_proof_settles_and_binds_its_statement() {
    let artifact = demo();
    let statement = &artifact.statement;
    let mut l1 = L1::new();
    let settled = settle(&mut l1, &artifact).expect("the bundled wrap proof settles");
    println!(
        "verifier call {} gas, submitBatch {} gas",
        settled.verifier_gas, settled.accepted.gas_used
    );
    assert_eq!(settled.accepted.batch_index, 0);
    assert_eq!(settled.accepted.old_root, B256::from(statement.old_root));
    assert_eq!(settled.accepted.new_root, B256::from(statement.new_root));
    assert_eq!(
        settled.rollup.state_root(&mut l1).unwrap(),
        B256::from(statement.new_root)
    );

    // The verifier alone rejects the proof with any public input changed.
    let scalars = statement.to_scalars();
    for i in 0..scalars.len() {
        let mut changed = scalars.clone();
        changed[i] += Fr::from(1);
        let call = l1
            .call(settled.verifier, verifier_calldata(&changed, &artifact.proof))
            .unwrap();
        assert!(!call.success, "public input {i} changed: accepted");
    }

    // Replaying the accepted batch is refused.
    let err = settled
        .rollup
        .submit_batch(
            &mut l1,
            B256::from(statement.data_hash),
            B256::from(statement.new_root),
            &artifact.proof,
        )
        .unwrap_err();
    assert!(matches!(err, RollupError::BatchAlreadyAccepted(_)), "{err}");

    // On a fresh rollup at the proven old root: forgeries are rejected and the root stays.
    let old_root = B256::from(statement.old_root);
    let rollup = RollupClient::deploy(&mut l1, settled.verifier, statement.chain_id, old_root).unwrap();
    let mut corrupted = artifact.proof.clone();
    corrupted[artifact.proof.len() / 2] ^= 1;
    let data_hash = B256::from(statement.data_hash);
    let new_root = B256::from(statement.new_root);
    let forgeries = [
        ("corrupted proof", data_hash, new_root, corrupted),
        (
            "wrong new root",
            data_hash,
            flipped(statement.new_root),
            artifact.proof.clone(),
        ),
        (
            "wrong data hash",
            flipped(statement.data_hash),
            new_root,
            artifact.proof.clone(),
        ),
    ];
    for (what, data_hash, new_root, proof) in forgeries {
        let err = rollup.submit_batch(&mut l1, data_hash, new_root, &proof).unwrap_err();
        assert!(matches!(err, RollupError::InvalidProof), "{what}: {err}");
    }
    assert_eq!(rollup.state_root(&mut l1).unwrap(), old_root);

    // The same proof is refused by a rollup at another root or on another chain.
    for (what, chain_id, genesis) in [
        ("wrong old root", statement.chain_id, flipped(statement.old_root)),
        ("wrong chain id", statement.chain_id + 1, old_root),
    ] {
        let rollup = RollupClient::deploy(&mut l1, settled.verifier, chain_id, genesis).unwrap();
        let err = rollup
            .submit_batch(&mut l1, data_hash, new_root, &artifact.proof)
            .unwrap_err();
        assert!(matches!(err, RollupError::InvalidProof), "{what}: {err}");
        assert_eq!(rollup.state_root(&mut l1).unwrap(), genesis);
    }
}

#[test]
fn corrupted_demo_proof_does_not_settle() {
    let mut artifact = demo();
    let middle = artifact.proof.len() / 2;
    artifact.proof[middle] ^= 1;
    let err = settle(&mut L1::new(), &artifact).unwrap_err();
    assert!(matches!(err, SettleError::VerifierRejected { .. }), "{err}");
}
