//! The rollup contract and a generated Solidity verifier inside revm, driven
//! with real KZG proofs.
//!
//! The circuit proven here is the wrap circuit's public-input layer alone
//! ([`prover::wrap::instances::expose`]: roots as 64-bit limbs, the data hash
//! as 32-bit limbs, range-checked and composed into the seven instances). It
//! proves nothing about execution; it gives the contracts real proofs with the
//! wrap proof's instance layout, so every check below (the verifier's
//! pairing, the contract's public-input binding, replay protection) runs
//! against the real generator and the real contract.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::BaseCircuitParams;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{keygen_pk, keygen_vk, ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use prover::kzg::evm::{prove_for_evm, verify_for_evm};
use prover::kzg::BackendParams;
use prover::wrap::instances::{expose, AssignedWord, WrapInstances, NUM_INSTANCES};
use rand_core::OsRng;
use revm::primitives::{Address, B256, U256};
use verifier_contract::evm::L1;
use verifier_contract::rollup::{
    batch_instances, compile_rollup, RollupClient, RollupError, ROLLUP_ABI_JSON, ROLLUP_BYTECODE_HEX,
};
use verifier_contract::solc::Solc;
use verifier_contract::verifier::{verifier_calldata, verifier_solidity, VERIFIER_CONTRACT, VERIFIER_UNIT};

/// Rows of the public-input circuit.
const K: usize = 10;
/// Bits of the range-check lookup table.
const LOOKUP_BITS: usize = 8;
/// The rollup's chain id.
const CHAIN_ID: u64 = 0x2a7;

/// The public-input layer of the wrap circuit, for one statement.
fn assign(builder: &mut BaseCircuitBuilder<Fr>, statement: &WrapInstances) {
    let range = builder.range_chip();
    let ctx = builder.main(0);
    let old_root = AssignedWord::load_witness(ctx, &statement.old_root, 64);
    let new_root = AssignedWord::load_witness(ctx, &statement.new_root, 64);
    let data_hash = AssignedWord::load_witness(ctx, &statement.data_hash, 32);
    let chain_id = ctx.load_witness(Fr::from(statement.chain_id));
    let cells = expose(ctx, &range, &old_root, &new_root, &data_hash, chain_id);
    builder.assigned_instances[0].extend(cells);
}

/// Keys and parameters of the public-input circuit, and a prover for it.
struct Keys {
    params: ParamsKZG<Bn256>,
    backend: BackendParams,
    config: BaseCircuitParams,
    break_points: Vec<Vec<usize>>,
    vk: VerifyingKey<G1Affine>,
    pk: ProvingKey<G1Affine>,
}

impl Keys {
    fn generate() -> Self {
        let mut builder = BaseCircuitBuilder::<Fr>::new(false)
            .use_k(K)
            .use_lookup_bits(LOOKUP_BITS)
            .use_instance_columns(1);
        assign(&mut builder, &batch_instances(B256::ZERO, B256::ZERO, B256::ZERO, 0));
        let config = builder.calculate_params(Some(9));
        let params = ParamsKZG::<Bn256>::setup(K as u32, OsRng);
        let vk = keygen_vk(&params, &builder).expect("keygen_vk");
        let pk = keygen_pk(&params, vk.clone(), &builder).expect("keygen_pk");
        let break_points = builder.break_points();
        Self {
            backend: BackendParams::new_cpu(params.clone()),
            params,
            config,
            break_points,
            vk,
            pk,
        }
    }

    fn prove(&self, statement: &WrapInstances) -> Vec<u8> {
        let mut builder = BaseCircuitBuilder::prover(self.config.clone(), self.break_points.clone());
        assign(&mut builder, statement);
        let proof = prove_for_evm(&self.backend, &self.pk, builder, &statement.to_scalars()).expect("proving");
        verify_for_evm(&self.params, &self.vk, &statement.to_scalars(), &proof).expect("the proof verifies natively");
        proof
    }
}

fn word(byte: u8) -> B256 {
    // Distinct, full-width words (no zero halves that could hide a swap).
    B256::from(std::array::from_fn::<u8, 32, _>(|i| {
        byte.wrapping_mul(31).wrapping_add(i as u8 * 7) | 1
    }))
}

/// Deploys the verifier generated from `keys`' verifying key.
fn deploy_verifier(l1: &mut L1, solc: &Solc, keys: &Keys) -> Address {
    let source = verifier_solidity(&keys.params, &keys.vk, NUM_INSTANCES).expect("generator");
    let compiled = solc
        .compile(VERIFIER_UNIT, &source, VERIFIER_CONTRACT, false)
        .expect("the generated verifier compiles");
    let outcome = l1.deploy(compiled.bytecode).expect("deployment runs");
    assert!(outcome.success, "verifier deployment reverted");
    outcome.created.expect("a created address")
}

#[test]
fn committed_rollup_build_matches_solc() {
    let solc = Solc::locate().expect("solc-js (scripts/test installs it)");
    let compiled = compile_rollup(&solc).expect("Rollup.sol compiles");
    let committed_abi: serde_json::Value = serde_json::from_str(ROLLUP_ABI_JSON).expect("committed ABI is JSON");
    if std::env::var_os("ZKR_BLESS").is_some() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/contracts");
        std::fs::write(format!("{dir}/Rollup.bin"), hex::encode(&compiled.bytecode) + "\n").unwrap();
        std::fs::write(
            format!("{dir}/Rollup.abi.json"),
            serde_json::to_string_pretty(&compiled.abi).unwrap() + "\n",
        )
        .unwrap();
        return;
    }
    assert_eq!(
        hex::encode(&compiled.bytecode),
        ROLLUP_BYTECODE_HEX.trim(),
        "contracts/Rollup.bin is stale: rerun this test with ZKR_BLESS=1"
    );
    assert_eq!(
        compiled.abi, committed_abi,
        "contracts/Rollup.abi.json is stale: rerun with ZKR_BLESS=1"
    );
}

#[test]
fn rollup_advances_only_with_valid_proofs() {
    let solc = Solc::locate().expect("solc-js (scripts/test installs it)");
    let keys = Keys::generate();
    let mut l1 = L1::new();
    let verifier = deploy_verifier(&mut l1, &solc, &keys);

    // The verifier alone: a valid proof passes, a corrupted one reverts.
    let genesis = word(1);
    let (root1, data1) = (word(2), word(3));
    let batch1 = batch_instances(genesis, root1, data1, CHAIN_ID);
    let proof1 = keys.prove(&batch1);
    let direct = l1
        .call(verifier, verifier_calldata(&batch1.to_scalars(), &proof1))
        .unwrap();
    assert!(direct.success, "the verifier accepts a valid proof");
    println!("verifier call: {} gas ({} proof bytes)", direct.gas_used, proof1.len());
    let mut corrupted = proof1.clone();
    corrupted[proof1.len() / 2] ^= 1;
    assert!(verify_for_evm(&keys.params, &keys.vk, &batch1.to_scalars(), &corrupted).is_err());
    let direct = l1
        .call(verifier, verifier_calldata(&batch1.to_scalars(), &corrupted))
        .unwrap();
    assert!(!direct.success, "the verifier rejects a corrupted proof");

    // A rollup needs a verifier with code.
    let err = RollupClient::deploy(&mut l1, Address::repeat_byte(0xee), CHAIN_ID, genesis).unwrap_err();
    assert!(
        matches!(err, RollupError::VerifierHasNoCode(a) if a == Address::repeat_byte(0xee)),
        "{err}"
    );

    let rollup = RollupClient::deploy(&mut l1, verifier, CHAIN_ID, genesis).unwrap();
    assert_eq!(rollup.state_root(&mut l1).unwrap(), genesis);

    // Forgeries of the first batch, each rejected with the root unchanged.
    let rejected = [
        ("corrupted proof", data1, root1, corrupted),
        ("truncated proof", data1, root1, proof1[..proof1.len() - 32].to_vec()),
        ("wrong new root", data1, word(9), proof1.clone()),
        ("wrong data hash", word(9), root1, proof1.clone()),
    ];
    for (what, data_hash, new_root, proof) in rejected {
        let err = rollup.submit_batch(&mut l1, data_hash, new_root, &proof).unwrap_err();
        assert!(matches!(err, RollupError::InvalidProof), "{what}: {err}");
    }
    assert_eq!(rollup.state_root(&mut l1).unwrap(), genesis);

    let accepted = rollup.submit_batch(&mut l1, data1, root1, &proof1).unwrap();
    assert_eq!(
        (accepted.batch_index, accepted.old_root, accepted.new_root),
        (0, genesis, root1)
    );
    println!("submitBatch (verification included): {} gas", accepted.gas_used);
    assert_eq!(rollup.state_root(&mut l1).unwrap(), root1);

    // Replaying the batch is refused before the verifier runs.
    let err = rollup.submit_batch(&mut l1, data1, root1, &proof1).unwrap_err();
    assert!(
        matches!(err, RollupError::BatchAlreadyAccepted(d) if d == data1),
        "{err}"
    );

    // A valid proof from another old root, or for another chain, is rejected.
    let (root2, data2) = (word(4), word(5));
    let from_genesis = keys.prove(&batch_instances(genesis, root2, data2, CHAIN_ID));
    let err = rollup.submit_batch(&mut l1, data2, root2, &from_genesis).unwrap_err();
    assert!(matches!(err, RollupError::InvalidProof), "wrong old root: {err}");
    let other_chain = keys.prove(&batch_instances(root1, root2, data2, CHAIN_ID + 1));
    let err = rollup.submit_batch(&mut l1, data2, root2, &other_chain).unwrap_err();
    assert!(matches!(err, RollupError::InvalidProof), "wrong chain id: {err}");
    assert_eq!(rollup.state_root(&mut l1).unwrap(), root1);

    // The next batch, from the stored root.
    let proof2 = keys.prove(&batch_instances(root1, root2, data2, CHAIN_ID));
    let accepted = rollup.submit_batch(&mut l1, data2, root2, &proof2).unwrap();
    assert_eq!(
        (accepted.batch_index, accepted.old_root, accepted.new_root),
        (1, root1, root2)
    );
    assert_eq!(rollup.state_root(&mut l1).unwrap(), root2);
    assert_eq!(rollup.batch_count(&mut l1).unwrap(), U256::from(2));
}
