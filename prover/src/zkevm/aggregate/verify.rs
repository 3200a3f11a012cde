//! Verifying an aggregated proof against verifier data rebuilt from the
//! chunk layouts it claims.

use super::super::proof::{C, D};
use super::super::verify::{check_state_links, check_statement};
use super::circuits::Circuits;
use super::leaf::ChunkLayout;
use super::merge::{merged_normal_public_inputs, MergeInput};
use super::normal::leaf_public_inputs;
use super::tree::fold_tree;
use super::{pi, AggregatedProof, AggregationError};
use plonky2::field::types::Field;
use plonky2::plonk::circuit_data::VerifierCircuitData;
use witness::F;

/// What verifying an aggregated proof needs: the root circuit's verifier
/// data and the public inputs ([`super::normal::npi`]) a proof of these
/// chunks must have. Built deterministically from the chunk layouts, never
/// read from the proof file.
#[derive(Clone, Debug)]
pub struct VerifierData {
    /// The root circuit (the input the BN254 wrap re-proves against).
    pub circuit: VerifierCircuitData<F, C, D>,
    /// The chunks it was built for.
    pub chunks: Vec<ChunkLayout>,
    /// Expected public inputs of the root proof.
    pub public_inputs: Vec<F>,
}

impl VerifierData {
    /// Rebuilds the circuits of the aggregation tree of `chunks` (reusing
    /// those already in `circuits`). Fails if a statement does not list one
    /// code per transaction of its range, or if the chunks do not link.
    pub fn for_chunks(circuits: &mut Circuits, chunks: &[ChunkLayout]) -> Result<Self, AggregationError> {
        for (i, chunk) in chunks.iter().enumerate() {
            check_statement(&chunk.statement).map_err(|e| AggregationError::Statement(format!("chunk {i}: {e}")))?;
        }
        for (i, pair) in chunks.windows(2).enumerate() {
            if pair[0].statement.end_tx != pair[1].statement.first_tx {
                return Err(AggregationError::Statement(format!(
                    "chunk {} starts at transaction {}, but chunk {i} ends before transaction {}",
                    i + 1,
                    pair[1].statement.first_tx,
                    pair[0].statement.end_tx
                )));
            }
        }
        check_state_links(chunks.iter().map(|c| &c.statement))
            .map_err(|e| AggregationError::Statement(e.to_string()))?;
        let mut leaves = Vec::with_capacity(chunks.len());
        for (i, chunk) in chunks.iter().enumerate() {
            let normaliser = circuits
                .normaliser(chunk.shape())
                .map_err(|e| AggregationError::Circuit(format!("chunk {i}: {e}")))?;
            leaves.push((
                normaliser.data.verifier_data(),
                leaf_public_inputs(chunk.public_inputs()),
            ));
        }
        let (circuit, public_inputs) = fold_normal_tree(circuits, leaves)?;
        Ok(Self {
            circuit,
            chunks: chunks.to_vec(),
            public_inputs,
        })
    }
}

/// The root circuit and root public inputs of the merge tree over normal-form
/// `leaves` (each a circuit and the public inputs of its proofs).
pub(crate) fn fold_normal_tree(
    circuits: &mut Circuits,
    leaves: Vec<(VerifierCircuitData<F, C, D>, Vec<F>)>,
) -> Result<(VerifierCircuitData<F, C, D>, Vec<F>), AggregationError> {
    let normal = circuits.normal();
    let merge = &normal.merge;
    fold_tree::<_, AggregationError>(leaves, |(l, lpis), (r, rpis), _| {
        let left = MergeInput {
            verifier: &l.verifier_only,
            public_inputs: &lpis,
        };
        let right = MergeInput {
            verifier: &r.verifier_only,
            public_inputs: &rpis,
        };
        let pis = merged_normal_public_inputs(merge.hash, &left, &right);
        Ok((merge.data.verifier_data(), pis))
    })?
    .ok_or(AggregationError::Empty)
}

/// The chunks of block `number` must each name it in their statement's
/// block context.
pub(crate) fn check_block_number(number: u64, chunks: &[ChunkLayout]) -> Result<(), AggregationError> {
    match chunks.iter().position(|c| c.statement.block.number != number) {
        Some(i) => Err(AggregationError::Statement(format!(
            "the proof is of block {number}, but chunk {i}'s statement is of block {}",
            chunks[i].statement.block.number
        ))),
        None => Ok(()),
    }
}

/// Verifies an aggregated proof: its chunks are those `data` was built for
/// and of the block it names, its claimed range and step count are the
/// proof's public inputs, and the root proof verifies against the rebuilt
/// root circuit.
pub fn verify_aggregated(proof: &AggregatedProof, data: &VerifierData) -> Result<(), AggregationError> {
    if proof.chunks != data.chunks {
        return Err(AggregationError::Statement(
            "the verifier data was built for other chunks than the proof lists".into(),
        ));
    }
    check_block_number(proof.block, &proof.chunks)?;
    let claimed = [
        F::from_canonical_u32(proof.first_tx),
        F::from_canonical_u32(proof.end_tx),
        F::from_canonical_u64(proof.steps),
    ];
    if claimed[..] != data.public_inputs[..pi::DIGEST] {
        return Err(AggregationError::Statement(format!(
            "the proof claims transactions {}..{} and {} steps, its chunks prove {:?}",
            proof.first_tx,
            proof.end_tx,
            proof.steps,
            &data.public_inputs[..pi::DIGEST]
        )));
    }
    if proof.proof.public_inputs != data.public_inputs {
        return Err(AggregationError::Statement(
            "the root proof's public inputs do not match the chunks' range, steps, statement digest and state roots"
                .into(),
        ));
    }
    data.circuit
        .verify(proof.proof.clone())
        .map_err(|e| AggregationError::Verify(format!("{e:#}")))
}
