//! Aggregation of a block's chunk proofs into one plonky2 proof, and the
//! negative twins: a corrupted chunk proof, non-adjacent chunks and a
//! corrupted aggregated proof are all rejected.

use executor::input::PreAccount;
use executor::trace::BlockTrace;
use executor::BlockInput;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use prover::zkevm::aggregate::{
    aggregate_leaves, merge, pi, prove_leaf, verify_aggregated, AggregatedProof, AggregationError, AggregationStep,
    ChunkLayout, Circuits, Node, VerifierData,
};
use prover::zkevm::{prove_chunk, ChunkProof};
use revm::primitives::{Address, U256};
use std::time::Instant;
use witness::{build_chunks, PreState, F};

/// A block of `txs` counter-loop calls and its trace (19 rounds: 19 * 7 + 9
/// = 142 steps, so one transaction per chunk needs more than half of 255 rows).
fn counter_block(txs: usize) -> (BlockInput, BlockTrace) {
    traced(executor::synthetic::counter_loop_block(txs, 19))
}

/// A block and its trace.
fn traced(block: BlockInput) -> (BlockInput, BlockTrace) {
    let options = executor::ExecOptions {
        capture_traces: true,
        ..executor::ExecOptions::default()
    };
    let trace = executor::execute_block(&block, &options)
        .expect("the block executes")
        .traces
        .expect("traces were requested");
    (block, trace)
}

/// Chunk proofs of `trace` from pre-state `pre`, one transaction per chunk (2^8 rows per chunk).
fn chunk_proofs(trace: &BlockTrace, pre: &PreState) -> Vec<ChunkProof> {
    let chunks = build_chunks(trace, pre, 8).expect("the block is in scope");
    assert_eq!(chunks.len(), trace.txs.len(), "one transaction per chunk");
    let start = Instant::now();
    let proofs = chunks
        .iter()
        .map(|c| prove_chunk(c.clone()).expect("chunk proves"))
        .collect();
    eprintln!("{} chunk proofs in {:.1}s", chunks.len(), start.elapsed().as_secs_f64());
    proofs
}

/// The leaf proof of each chunk proof.
fn prove_leaves(circuits: &mut Circuits, proofs: &[ChunkProof]) -> Vec<Node> {
    proofs
        .iter()
        .enumerate()
        .map(|(i, p)| prove_leaf(circuits, i, p, &mut report).expect("the leaf proves"))
        .collect()
}

fn report(step: &AggregationStep) {
    eprintln!(
        "{:?}: degree 2^{}, build {:.1}s, prove {:.1}s",
        step.kind,
        step.degree_bits,
        step.build.as_secs_f64(),
        step.prove.as_secs_f64()
    );
}

/// One test, so that the circuits and leaf proofs (tens of seconds each) are
/// built once: a block of three chunks aggregates into one proof that
/// verifies before and after a bincode round trip; a corrupted chunk proof or
/// state-tree transition cannot be proven in the leaf circuit; chunks 0 and 2
/// cannot be merged, nor chunks whose state roots do not link; a corrupted
/// aggregated proof is rejected.
#[test]
fn three_chunks_aggregate_into_one_proof_and_tampering_is_rejected() {
    let (block, trace) = counter_block(3);
    let proofs = chunk_proofs(&trace, &PreState::of(&block).unwrap());
    let mut circuits = Circuits::new();
    let leaves = prove_leaves(&mut circuits, &proofs);

    // Corrupted chunk proofs: a changed opening, and a statement claiming one more step.
    let mut bad = proofs[1].clone();
    bad.cpu.proof.openings.local_values[3] += plonky2::field::extension::quadratic::QuadraticExtension::<F>::ONE;
    let err = prove_leaf(&mut circuits, 1, &bad, &mut report).unwrap_err();
    assert!(matches!(err, AggregationError::Leaf { index: 1, .. }), "{err}");
    let mut bad = proofs[1].clone();
    bad.statement.steps += 1;
    assert!(prove_leaf(&mut circuits, 1, &bad, &mut report).is_err());
    // Forged state-tree paths (a storage slot's, the called code's), and a
    // claimed new state root the slots do not give.
    let mut bad = proofs[1].clone();
    bad.state.storage[0].0[9] = HashOut::from_partial(&[F::ONE]);
    assert!(prove_leaf(&mut circuits, 1, &bad, &mut report).is_err());
    let mut bad = proofs[1].clone();
    bad.state.code[0].0[50] = HashOut::from_partial(&[F::ONE]);
    assert!(prove_leaf(&mut circuits, 1, &bad, &mut report).is_err());
    let mut bad = proofs[1].clone();
    bad.statement.new_root = bad.statement.old_root;
    let err = prove_leaf(&mut circuits, 1, &bad, &mut report).unwrap_err();
    assert!(err.to_string().contains("state roots"), "{err}");

    // Adjacent transactions from another pre-state (one more storage slot
    // elsewhere): chunk 1 of it starts from a root chunk 0 does not end with.
    let mut other = block.pre_state.clone();
    let mut account = PreAccount::default();
    account.storage.insert(U256::from(1u8), U256::from(1u8));
    other.insert(Address::repeat_byte(0x77), account);
    let other = chunk_proofs(&trace, &PreState::of_accounts(&other).unwrap());
    let other_leaf = prove_leaf(&mut circuits, 1, &other[1], &mut report).expect("the other chunk proves");
    let err = merge(&mut circuits, &leaves[0], &other_leaf, 1, &mut report).unwrap_err();
    assert!(
        matches!(
            err,
            AggregationError::Merge {
                left_end: 1,
                right_first: 1,
                ..
            }
        ),
        "{err}"
    );

    // Non-adjacent chunks: 0 ends at transaction 1, 2 starts at 2.
    let err = merge(&mut circuits, &leaves[0], &leaves[2], 1, &mut report).unwrap_err();
    assert!(
        matches!(
            err,
            AggregationError::Merge {
                left_end: 1,
                right_first: 2,
                ..
            }
        ),
        "{err}"
    );

    let aggregated = aggregate_leaves(&mut circuits, &proofs, leaves, &mut report).expect("aggregation succeeds");
    assert_eq!(
        (aggregated.first_tx, aggregated.end_tx, aggregated.num_chunks()),
        (0, 3, 3)
    );
    assert_eq!(aggregated.steps, proofs.iter().map(|p| p.statement.steps).sum::<u64>());
    let roots = &aggregated.proof.public_inputs[pi::OLD_ROOT..pi::NUM];
    assert_eq!(roots[..4], proofs[0].statement.old_root.elements);
    assert_eq!(roots[4..], proofs[2].statement.new_root.elements);

    let start = Instant::now();
    let layouts: Vec<ChunkLayout> = proofs.iter().map(ChunkLayout::of).collect();
    // The verifier rebuilds every circuit from scratch, as `zkr verify` does.
    drop(circuits);
    let data = VerifierData::for_chunks(&mut Circuits::new(), &layouts).expect("the chunks link");
    verify_aggregated(&aggregated, &data).expect("the aggregated proof verifies");
    eprintln!(
        "verifier data (fresh circuits) + verify: {:.1}s",
        start.elapsed().as_secs_f64()
    );

    let bytes = aggregated.to_bytes().unwrap();
    assert!(AggregatedProof::is_aggregated(&bytes));
    let back = AggregatedProof::from_bytes(&bytes).expect("decodes");
    verify_aggregated(&back, &data).expect("the decoded proof verifies");
    assert!(AggregatedProof::from_bytes(&bytes[..bytes.len() - 10]).is_err());
    assert!(AggregatedProof::from_bytes(&proofs[0].to_bytes().unwrap()).is_err());

    // A flipped public input is rejected.
    let mut forged = back.clone();
    forged.proof.public_inputs[pi::STEPS] += F::ONE;
    assert!(verify_aggregated(&forged, &data).is_err());
    // So is the same flip when the claims and the verifier data are forged to match it.
    let mut forged_data = data.clone();
    forged_data.public_inputs[pi::STEPS] += F::ONE;
    forged.steps += 1;
    assert!(matches!(
        verify_aggregated(&forged, &forged_data),
        Err(AggregationError::Verify(_))
    ));
    // A changed opening is rejected.
    let mut forged = back.clone();
    forged.proof.proof.openings.wires[0] += plonky2::field::extension::quadratic::QuadraticExtension::<F>::ONE;
    assert!(matches!(
        verify_aggregated(&forged, &data),
        Err(AggregationError::Verify(_))
    ));
    // A claim about another range is rejected.
    let mut forged = back.clone();
    forged.end_tx = 4;
    assert!(verify_aggregated(&forged, &data).is_err());
    // So is a label of another block than the chunks' statements name.
    assert_eq!(back.block, proofs[0].statement.block.number);
    let mut relabelled = back;
    relabelled.block += 1;
    let err = verify_aggregated(&relabelled, &data).unwrap_err();
    assert!(err.to_string().contains("statement is of block"), "{err}");
}

/// A chunk with a plain transfer (to an account without code) after a
/// contract call: its leaf proves the recipient's empty code leaf, and a
/// forged path to it is rejected.
#[test]
fn a_plain_transfer_leaf_proves_the_empty_code_leaf() {
    let mut block = executor::synthetic::counter_loop_block(2, 19);
    block.transactions[1].to = Some(Address::repeat_byte(0xee));
    let options = executor::ExecOptions {
        capture_traces: true,
        ..executor::ExecOptions::default()
    };
    let trace = executor::execute_block(&block, &options).unwrap().traces.unwrap();
    let chunks = build_chunks(&trace, &PreState::of(&block).unwrap(), 8).expect("the block is in scope");
    assert_eq!(chunks.len(), 1);
    assert!(chunks[0].statement.calls[1].code.is_empty());
    let proof = prove_chunk(chunks[0].clone()).expect("chunk proves");
    let mut circuits = Circuits::new();
    let leaf = prove_leaf(&mut circuits, 0, &proof, &mut report).expect("the leaf proves");
    let roots = &leaf.proof.public_inputs[pi::OLD_ROOT..pi::NUM];
    assert_eq!(roots[4..], proof.statement.new_root.elements);
    let mut bad = proof.clone();
    bad.state.code[1].0[20] = HashOut::from_partial(&[F::ONE]);
    assert!(prove_leaf(&mut circuits, 0, &bad, &mut report).is_err());
}

/// A transaction split over three chunks (80 counter-loop rounds, 569 steps,
/// at 2^8 rows) aggregates like any block: where it is split the leaves
/// expose the state root mixed with the boundary, neighbours merge on it,
/// and the aggregated proof states the block's plain roots. The leaf of a
/// chunk resuming from another boundary (the same state root; the same
/// loop with more gas) does not merge with chunk 0, and a verifier refuses
/// chunk layouts whose boundaries do not link.
#[test]
fn a_split_transaction_aggregates_and_other_boundaries_do_not_merge() {
    let (block, trace) = traced(executor::synthetic::counter_loop_block(1, 80));
    let pre = PreState::of(&block).unwrap();
    let chunks = build_chunks(&trace, &pre, 8).expect("the loop is split");
    assert_eq!(chunks.len(), 3);
    let proofs: Vec<ChunkProof> = chunks
        .into_iter()
        .map(|c| prove_chunk(c).expect("chunk proves"))
        .collect();
    let mut circuits = Circuits::new();
    let leaves = prove_leaves(&mut circuits, &proofs);
    let pis = |n: &Node| n.proof.public_inputs.clone();
    let (l0, l1) = (pis(&leaves[0]), pis(&leaves[1]));
    assert_eq!(l0[pi::OLD_ROOT..pi::NEW_ROOT], proofs[0].statement.old_root.elements);
    assert_ne!(
        l0[pi::NEW_ROOT..pi::NUM],
        proofs[0].statement.new_root.elements,
        "a suspending chunk's root is mixed with its boundary"
    );
    assert_eq!(l0[pi::NEW_ROOT..pi::NUM], l1[pi::OLD_ROOT..pi::NEW_ROOT]);
    assert_eq!((l0[pi::END_TX], l1[pi::FIRST_TX]), (F::ZERO, F::ZERO));

    let mut other_block = block.clone();
    other_block.transactions[0].gas_limit += 1000;
    let (other_block, other_trace) = traced(other_block);
    let other = build_chunks(&other_trace, &PreState::of(&other_block).unwrap(), 8).unwrap();
    assert_eq!(other[1].statement.old_root, proofs[1].statement.old_root);
    assert_ne!(other[1].statement.resume, proofs[1].statement.resume);
    let other = prove_chunk(other[1].clone()).expect("the other chunk proves");
    let other_leaf = prove_leaf(&mut circuits, 1, &other, &mut report).expect("the other leaf proves");
    let err = merge(&mut circuits, &leaves[0], &other_leaf, 1, &mut report).unwrap_err();
    assert!(matches!(err, AggregationError::Merge { .. }), "{err}");

    let aggregated = aggregate_leaves(&mut circuits, &proofs, leaves, &mut report).expect("aggregation succeeds");
    assert_eq!((aggregated.first_tx, aggregated.end_tx), (0, 1));
    let roots = &aggregated.proof.public_inputs[pi::OLD_ROOT..pi::NUM];
    assert_eq!(roots[..4], proofs[0].statement.old_root.elements);
    assert_eq!(roots[4..], proofs[2].statement.new_root.elements);
    let mut layouts: Vec<ChunkLayout> = proofs.iter().map(ChunkLayout::of).collect();
    let data = VerifierData::for_chunks(&mut circuits, &layouts).expect("the chunks link");
    verify_aggregated(&aggregated, &data).expect("the aggregated proof verifies");

    layouts[1] = ChunkLayout::of(&other);
    let err = VerifierData::for_chunks(&mut circuits, &layouts).unwrap_err();
    assert!(err.to_string().contains("resumes"), "{err}");
}
