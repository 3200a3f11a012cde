//! Aggregation of a block's chunk proofs into one plonky2 proof, and the
//! negative twins: a corrupted chunk proof, non-adjacent chunks and a
//! corrupted aggregated proof are all rejected.

use executor::trace::{BlockTrace, Step, TxTrace};
use plonky2::field::types::Field;
use prover::zkevm::aggregate::{
    aggregate_leaves, merge, pi, prove_leaf, verify_aggregated, AggregatedProof, AggregationError, AggregationStep,
    ChunkLayout, Circuits, Node, VerifierData,
};
use prover::zkevm::{prove_chunk, ChunkProof};
use revm::primitives::{Address, Bytes};
use std::collections::HashMap;
use std::time::Instant;
use witness::opcode::decode;
use witness::{build_chunks, F};

/// A counter loop: `PUSH1 rounds`, then `rounds` times JUMPDEST, PUSH1 1,
/// SWAP1, SUB, DUP1, PUSH1 2, JUMPI, then POP, STOP (7 steps per round).
fn program(rounds: u8) -> Vec<u8> {
    vec![
        0x60, rounds, 0x5b, 0x60, 0x01, 0x90, 0x03, 0x80, 0x60, 0x02, 0x57, 0x50, 0x00,
    ]
}

/// The steps the executor records for [`program`].
fn run(code: &[u8], tx_index: u32) -> TxTrace {
    let (mut pc, mut gas, mut steps, mut stack) = (0usize, 100_000u64, Vec::new(), Vec::<u64>::new());
    loop {
        let op = code[pc];
        let (family, _) = decode(op).expect("test programs use proven opcodes");
        steps.push(Step {
            pc: pc as u64,
            opcode: op,
            gas,
            gas_cost: family.gas(),
            ..Default::default()
        });
        gas -= family.gas();
        pc += 1;
        match op {
            0x00 => break,
            0x60 => {
                stack.push(code[pc].into());
                pc += 1;
            }
            0x90 => {
                let n = stack.len();
                stack.swap(n - 1, n - 2);
            }
            0x03 => {
                let (a, b) = (stack.pop().unwrap(), stack.pop().unwrap());
                stack.push(a - b);
            }
            0x80 => stack.push(*stack.last().unwrap()),
            0x57 => {
                let (dest, cond) = (stack.pop().unwrap(), stack.pop().unwrap());
                if cond != 0 {
                    pc = dest as usize;
                }
            }
            0x50 => {
                stack.pop();
            }
            _ => {}
        }
    }
    TxTrace {
        tx_index,
        to: Some(Address::with_last_byte(0x10 + tx_index as u8)),
        success: true,
        steps,
        ..Default::default()
    }
}

/// Chunk proofs of a block of `txs` transactions, one chunk each (2^8 rows per chunk).
fn chunk_proofs(txs: u32) -> Vec<ChunkProof> {
    // 1 + 19 * 7 + 2 = 136 steps: one transaction per chunk needs more than half of 255 rows.
    let code = program(19);
    let trace = BlockTrace {
        block_number: 7,
        txs: (0..txs).map(|i| run(&code, i)).collect(),
    };
    let codes: HashMap<Address, Bytes> = (0..txs)
        .map(|i| (Address::with_last_byte(0x10 + i as u8), Bytes::from(code.clone())))
        .collect();
    let chunks = build_chunks(&trace, &codes, 8).expect("the block is in scope");
    assert_eq!(chunks.len(), txs as usize, "one transaction per chunk");
    let start = Instant::now();
    let proofs = chunks.iter().map(|c| prove_chunk(c).expect("chunk proves")).collect();
    eprintln!("{txs} chunk proofs in {:.1}s", start.elapsed().as_secs_f64());
    proofs
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
/// verifies before and after a bincode round trip; a corrupted chunk proof
/// cannot be proven in the leaf circuit; chunks 0 and 2 cannot be merged; a
/// corrupted aggregated proof is rejected.
#[test]
fn three_chunks_aggregate_into_one_proof_and_tampering_is_rejected() {
    let proofs = chunk_proofs(3);
    let mut circuits = Circuits::new();
    let leaves: Vec<Node> = proofs
        .iter()
        .enumerate()
        .map(|(i, p)| prove_leaf(&mut circuits, i, p, &mut report).expect("the leaf proves"))
        .collect();

    // Corrupted chunk proofs: a changed opening, and a statement claiming one more step.
    let mut bad = proofs[1].clone();
    bad.cpu.proof.openings.local_values[3] += plonky2::field::extension::quadratic::QuadraticExtension::<F>::ONE;
    let err = prove_leaf(&mut circuits, 1, &bad, &mut report).unwrap_err();
    assert!(matches!(err, AggregationError::Leaf { index: 1, .. }), "{err}");
    let mut bad = proofs[1].clone();
    bad.statement.steps += 1;
    assert!(prove_leaf(&mut circuits, 1, &bad, &mut report).is_err());

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

    let aggregated = aggregate_leaves(&mut circuits, 7, &proofs, leaves, &mut report).expect("aggregation succeeds");
    assert_eq!(
        (aggregated.first_tx, aggregated.end_tx, aggregated.num_chunks()),
        (0, 3, 3)
    );
    assert_eq!(aggregated.steps, proofs.iter().map(|p| p.statement.steps).sum::<u64>());

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
    let mut forged = back;
    forged.end_tx = 4;
    assert!(verify_aggregated(&forged, &data).is_err());
}
