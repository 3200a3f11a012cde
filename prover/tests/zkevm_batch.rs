//! Aggregation of consecutive blocks into one batch proof, and the negative
//! twins: blocks out of order or with a gap, a block that does not start
//! from the state root its parent left (refused natively, and unprovable in
//! the merge circuit), a proof of part of a block (refused natively, and
//! unprovable in the block circuit), a batch listing another block number,
//! and a corrupted batch proof are all rejected.

use executor::input::PreAccount;
use executor::BlockInput;
use plonky2::field::types::Field;
use prover::zkevm::aggregate::batch::{batch_public_inputs, block_public_inputs};
use prover::zkevm::aggregate::normal::npi;
use prover::zkevm::aggregate::{
    aggregate_batch, aggregate_block, aggregate_chunk, merge, pi, verify_batch, AggregatedProof, AggregationError,
    BatchProof, BatchVerifierData, Circuits, Node, VerifierData,
};
use prover::zkevm::prove_chunk;
use revm::primitives::{Address, U256};
use witness::{build_chunks, PreState, F};

/// Proves `block` (one chunk per transaction at 2^8 rows) and aggregates it.
fn block_proof(circuits: &mut Circuits, block: &BlockInput) -> AggregatedProof {
    let options = executor::ExecOptions {
        capture_traces: true,
        ..executor::ExecOptions::default()
    };
    let trace = executor::execute_block(block, &options)
        .expect("the block executes")
        .traces
        .expect("traces were requested");
    let chunks = build_chunks(&trace, &PreState::of(block).unwrap(), 8).expect("the block is in scope");
    let proofs: Vec<_> = chunks
        .iter()
        .map(|c| prove_chunk(c.clone()).expect("chunk proves"))
        .collect();
    aggregate_block(circuits, &proofs, &mut |_| {}).expect("the block aggregates")
}

/// The batch-form node of a block proof (its block circuit's proof).
fn block_node(circuits: &mut Circuits, block: &AggregatedProof) -> Result<Node, String> {
    let root = VerifierData::for_chunks(circuits, &block.chunks).unwrap();
    let circuit = circuits.block(&root.circuit, &root.public_inputs[npi::LEAVES..])?;
    Ok(Node {
        proof: circuit.prove(block.block, &block.proof)?,
        circuit: circuit.data.verifier_data(),
    })
}

/// One test, so that the circuits (seconds each) are built once: three
/// consecutive blocks of one counter-loop call each aggregate into one batch
/// proof that verifies before and after a bincode round trip and states the
/// first block's old root, the last block's new root and the blocks'
/// numbers; every way of breaking the chain is rejected.
#[test]
fn consecutive_blocks_aggregate_into_one_batch_proof_and_tampering_is_rejected() {
    let chain = executor::synthetic::counter_loop_chain(3, 1, 19);
    let mut circuits = Circuits::new();
    let blocks: Vec<AggregatedProof> = chain.iter().map(|b| block_proof(&mut circuits, b)).collect();
    let mut steps = Vec::new();
    let batch =
        aggregate_batch(&mut circuits, &blocks, &mut |s| steps.push(s.kind.to_string())).expect("the batch aggregates");
    assert_eq!(
        steps,
        [
            "block 0 of the batch",
            "block 1 of the batch",
            "block 2 of the batch",
            "merge at level 1",
            "merge at level 2"
        ]
    );
    let data = BatchVerifierData::for_blocks(&mut Circuits::new(), &batch.blocks).expect("circuits rebuild");
    verify_batch(&batch, &data).expect("the batch proof verifies against rebuilt circuits");
    let pis = &batch.proof.public_inputs;
    assert_eq!(Some(pis[..pi::NUM].to_vec()), batch_public_inputs(&batch.blocks));
    assert_eq!(*pis, data.public_inputs);
    assert_eq!(pis[pi::FIRST_TX], F::from_canonical_u64(20_000_000));
    assert_eq!(pis[pi::END_TX], F::from_canonical_u64(20_000_003));
    assert_eq!(
        pis[pi::OLD_ROOT..pi::NEW_ROOT],
        blocks[0].proof.public_inputs[pi::OLD_ROOT..pi::NEW_ROOT]
    );
    assert_eq!(
        pis[pi::NEW_ROOT..pi::NUM],
        blocks[2].proof.public_inputs[pi::NEW_ROOT..pi::NUM]
    );
    assert_eq!(batch.steps(), blocks.iter().map(|b| b.steps).sum::<u64>());
    assert_eq!(
        block_public_inputs(20_000_001, &blocks[1].proof.public_inputs)[pi::DIGEST..pi::OLD_ROOT],
        block_node(&mut circuits, &blocks[1]).unwrap().proof.public_inputs[pi::DIGEST..pi::OLD_ROOT],
        "the block circuit's digest is the native one"
    );

    let bytes = batch.to_bytes().unwrap();
    assert!(BatchProof::is_batch(&bytes));
    let back = BatchProof::from_bytes(&bytes).expect("decodes");
    verify_batch(&back, &data).expect("verifies after a round trip");
    assert!(BatchProof::from_bytes(&bytes[..bytes.len() - 10]).is_err());
    let err = BatchProof::from_bytes(&blocks[0].to_bytes().unwrap()).unwrap_err();
    assert!(err.to_string().contains("not a batch proof"), "{err}");

    // Out of order, and with a gap.
    let err = aggregate_batch(&mut circuits, &[blocks[1].clone(), blocks[0].clone()], &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("does not follow block 20000001"), "{err}");
    let err = aggregate_batch(&mut circuits, &[blocks[0].clone(), blocks[2].clone()], &mut |_| {}).unwrap_err();
    assert!(
        err.to_string()
            .contains("block 20000002 does not follow block 20000000"),
        "{err}"
    );

    // Block 20000001 proven on a state with one more account: its old root
    // is not the one block 20000000 leaves.
    let mut forked = chain[1].clone();
    forked.pre_state.insert(
        Address::with_last_byte(0xbb),
        PreAccount {
            balance: U256::from(1),
            ..PreAccount::default()
        },
    );
    let forked = block_proof(&mut circuits, &forked);
    let err = aggregate_batch(&mut circuits, &[blocks[0].clone(), forked.clone()], &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("does not start from the state root"), "{err}");
    let left = block_node(&mut circuits, &blocks[0]).unwrap();
    let right = block_node(&mut circuits, &forked).unwrap();
    let err = merge(&mut circuits, &left, &right, 1, &mut |_| {}).unwrap_err();
    assert!(matches!(err, AggregationError::Merge { .. }), "{err}");

    // A block circuit refuses a proof that starts after the block's first
    // transaction: the second chunk alone of a two-call block.
    let two_calls = executor::synthetic::counter_loop_block(2, 19);
    let trace = executor::execute_block(
        &two_calls,
        &executor::ExecOptions {
            capture_traces: true,
            ..executor::ExecOptions::default()
        },
    )
    .unwrap()
    .traces
    .unwrap();
    let chunks = build_chunks(&trace, &PreState::of(&two_calls).unwrap(), 8).unwrap();
    assert_eq!(chunks.len(), 2);
    let tail = aggregate_chunk(&mut circuits, &prove_chunk(chunks[1].clone()).unwrap()).unwrap();
    assert_eq!(tail.first_tx, 1);
    let err = aggregate_batch(&mut circuits, std::slice::from_ref(&tail), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("starts at transaction 1"), "{err}");
    assert!(
        block_node(&mut circuits, &tail).is_err(),
        "the block circuit proved a partial block"
    );

    // A block circuit cannot take a proof that does not verify.
    let mut corrupted = blocks[0].proof.clone();
    corrupted.public_inputs[pi::STEPS] += F::ONE;
    let wrong = AggregatedProof {
        proof: corrupted,
        ..blocks[0].clone()
    };
    assert!(block_node(&mut circuits, &wrong).is_err());

    // A block circuit made for other tree hashes (another set of leaf
    // circuits under the same root circuit) refuses the block's proof.
    let root = VerifierData::for_chunks(&mut circuits, &blocks[0].chunks).unwrap();
    let mut tree = root.public_inputs[npi::LEAVES..].to_vec();
    tree[0] += F::ONE;
    let other = circuits.block(&root.circuit, &tree).unwrap();
    assert!(other.prove(blocks[0].block, &blocks[0].proof).is_err());

    // The batch listing another number for its second block: the rebuilt
    // statement differs from what the proof states.
    let mut renumbered = batch.clone();
    renumbered.blocks[1].number += 10;
    assert!(BatchVerifierData::for_blocks(&mut circuits, &renumbered.blocks).is_err());
    // Block numbers the chunks' statements do not name.
    let mut shifted = batch.clone();
    for block in &mut shifted.blocks {
        block.number += 1;
    }
    let err = BatchVerifierData::for_blocks(&mut circuits, &shifted.blocks).unwrap_err();
    assert!(err.to_string().contains("statement is of block"), "{err}");
    let mut relabelled = blocks[0].clone();
    relabelled.block += 1;
    let err = aggregate_batch(&mut circuits, &[relabelled], &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("statement is of block"), "{err}");
    // The same numbers in the statements too (which leave the chunks'
    // digests alone: these blocks' code reads no header value): the block
    // circuits bound the proven numbers into the root's public inputs.
    for chunk in shifted.blocks.iter_mut().flat_map(|b| &mut b.chunks) {
        chunk.statement.block.number += 1;
    }
    let shifted_data = BatchVerifierData::for_blocks(&mut circuits, &shifted.blocks).unwrap();
    let err = verify_batch(&shifted, &shifted_data).unwrap_err();
    assert!(err.to_string().contains("public inputs"), "{err}");

    // A corrupted root proof.
    let mut corrupted = batch.clone();
    corrupted.proof.proof.opening_proof.pow_witness += F::ONE;
    assert!(verify_batch(&corrupted, &data).is_err());
}
