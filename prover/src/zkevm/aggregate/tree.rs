//! Aggregating a block's chunk proofs: a leaf proof per chunk, then merges
//! level by level (neighbours pair up; an odd proof at the end of a level
//! moves up unchanged) until one proof is left.

use super::super::proof::{ChunkProof, C, D};
use super::circuits::Circuits;
use super::leaf::ChunkLayout;
use super::merge::{merged_normal_public_inputs, merged_public_inputs, MergeInput};
use super::verify::VerifierData;
use super::{pi, AggregatedProof, AggregationError, PlonkProof};
use plonky2::field::types::PrimeField64;
use plonky2::plonk::circuit_data::VerifierCircuitData;
use std::time::{Duration, Instant};
use witness::F;

/// Which proof an [`AggregationStep`] produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// The leaf proof of chunk `index`.
    Leaf {
        /// Position of the chunk in the block.
        index: usize,
    },
    /// The normal-form proof of chunk `index`'s leaf proof ([`super::normal`]).
    Normalise {
        /// Position of the chunk in the block.
        index: usize,
    },
    /// The batch-form proof of block `index` of a batch ([`super::batch`]).
    Block {
        /// Position of the block in the batch.
        index: usize,
    },
    /// A merge at tree level `level` (leaves are level 0).
    Merge {
        /// Tree level.
        level: usize,
    },
}

impl std::fmt::Display for StepKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Leaf { index } => write!(f, "leaf {index}"),
            Self::Normalise { index } => write!(f, "normal form of leaf {index}"),
            Self::Block { index } => write!(f, "block {index} of the batch"),
            Self::Merge { level } => write!(f, "merge at level {level}"),
        }
    }
}

/// Progress report of one proof of the aggregation tree.
#[derive(Clone, Debug)]
pub struct AggregationStep {
    /// What was proven.
    pub kind: StepKind,
    /// Time spent building the circuit (zero when it was reused).
    pub build: Duration,
    /// Time spent proving (and checking the proof).
    pub prove: Duration,
    /// Degree bits of the circuit.
    pub degree_bits: usize,
}

/// Number of proofs (leaves, their normal forms and merges) aggregating
/// `chunks` chunk proofs.
pub fn num_steps(chunks: usize) -> usize {
    (3 * chunks).saturating_sub(1)
}

/// Number of proofs (blocks in batch form and merges) aggregating `blocks`
/// block proofs into a batch.
pub fn num_batch_steps(blocks: usize) -> usize {
    (2 * blocks).saturating_sub(1)
}

/// The statement public inputs ([`super::pi`]) a block proof aggregating `chunks` has,
/// computed natively from their statements (no circuit is built); `None`
/// when there are no chunks.
pub fn aggregated_public_inputs(chunks: &[ChunkLayout]) -> Option<Vec<F>> {
    merged_tree_public_inputs(chunks.iter().map(ChunkLayout::public_inputs).collect())
}

/// The statement public inputs of the root of the merge tree over proofs
/// with statement public inputs `leaves`, computed natively; `None` when
/// there are none.
pub(crate) fn merged_tree_public_inputs(leaves: Vec<Vec<F>>) -> Option<Vec<F>> {
    fold_tree::<_, std::convert::Infallible>(leaves, |left, right, _| Ok(merged_public_inputs(&left, &right)))
        .unwrap_or_else(|never| match never {})
}

/// Folds `items` pairwise, level by level, into one; `merge` gets the level
/// of the result. `items` must not be empty.
pub(crate) fn fold_tree<T, E>(
    items: Vec<T>,
    mut merge: impl FnMut(T, T, usize) -> Result<T, E>,
) -> Result<Option<T>, E> {
    let mut level = items;
    let mut depth = 1;
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut it = level.into_iter();
        while let Some(left) = it.next() {
            match it.next() {
                Some(right) => next.push(merge(left, right, depth)?),
                None => next.push(left),
            }
        }
        level = next;
        depth += 1;
    }
    Ok(level.pop())
}

/// One proof of the tree and the circuit it belongs to.
#[derive(Clone, Debug)]
pub struct Node {
    /// The proof, in normal form (public inputs: [`super::normal::npi`]).
    pub proof: PlonkProof,
    /// The circuit it verifies against.
    pub circuit: VerifierCircuitData<F, C, D>,
}

fn range(pis: &[F]) -> (u64, u64) {
    (pis[pi::FIRST_TX].to_canonical_u64(), pis[pi::END_TX].to_canonical_u64())
}

/// Proves the leaf of chunk `index` (its position in the block, for errors
/// and progress) and re-proves it in normal form.
pub fn prove_leaf(
    circuits: &mut Circuits,
    index: usize,
    proof: &ChunkProof,
    progress: &mut dyn FnMut(&AggregationStep),
) -> Result<Node, AggregationError> {
    let failed = |reason: String| AggregationError::Leaf {
        index,
        first_tx: proof.statement.first_tx,
        end_tx: proof.statement.end_tx,
        reason,
    };
    let shape = ChunkLayout::of(proof).shape();
    let start = Instant::now();
    let circuit = circuits.leaf(shape);
    let build = start.elapsed();
    let start = Instant::now();
    let leaf = circuit.prove(proof).map_err(failed)?;
    progress(&AggregationStep {
        kind: StepKind::Leaf { index },
        build,
        prove: start.elapsed(),
        degree_bits: circuit.data.common.degree_bits(),
    });
    let start = Instant::now();
    let normaliser = circuits.normaliser(shape).map_err(AggregationError::Circuit)?;
    let build = start.elapsed();
    let start = Instant::now();
    let normal = normaliser.prove(&leaf).map_err(failed)?;
    progress(&AggregationStep {
        kind: StepKind::Normalise { index },
        build,
        prove: start.elapsed(),
        degree_bits: normaliser.data.common.degree_bits(),
    });
    Ok(Node {
        proof: normal,
        circuit: normaliser.data.verifier_data(),
    })
}

/// Merges two normal-form proofs at tree level `level`; fails unless `left`
/// ends where `right` starts.
pub fn merge(
    circuits: &mut Circuits,
    left: &Node,
    right: &Node,
    level: usize,
    progress: &mut dyn FnMut(&AggregationStep),
) -> Result<Node, AggregationError> {
    let start = Instant::now();
    let normal = circuits.normal();
    let build = start.elapsed();
    let circuit = &normal.merge;
    let start = Instant::now();
    let proof = circuit
        .prove(
            (&left.proof, &left.circuit.verifier_only),
            (&right.proof, &right.circuit.verifier_only),
        )
        .map_err(|reason| {
            let ((left_first, left_end), (right_first, right_end)) =
                (range(&left.proof.public_inputs), range(&right.proof.public_inputs));
            AggregationError::Merge {
                left_first,
                left_end,
                right_first,
                right_end,
                reason,
            }
        })?;
    debug_assert_eq!(
        proof.public_inputs,
        merged_normal_public_inputs(circuit.hash, &left.input(), &right.input())
    );
    progress(&AggregationStep {
        kind: StepKind::Merge { level },
        build,
        prove: start.elapsed(),
        degree_bits: circuit.data.common.degree_bits(),
    });
    Ok(Node {
        proof,
        circuit: circuit.data.verifier_data(),
    })
}

impl Node {
    /// This node as a merge sees it.
    fn input(&self) -> MergeInput<'_> {
        MergeInput {
            verifier: &self.circuit.verifier_only,
            public_inputs: &self.proof.public_inputs,
        }
    }
}

/// Aggregates the chunk proofs of a block, in order, into one proof (of the
/// block their statements name). `progress` is called after every leaf and
/// merge proof.
pub fn aggregate_block(
    circuits: &mut Circuits,
    proofs: &[ChunkProof],
    progress: &mut dyn FnMut(&AggregationStep),
) -> Result<AggregatedProof, AggregationError> {
    let leaves = proofs
        .iter()
        .enumerate()
        .map(|(index, proof)| prove_leaf(circuits, index, proof, progress))
        .collect::<Result<Vec<_>, _>>()?;
    aggregate_leaves(circuits, proofs, leaves, progress)
}

/// Merges the leaf proofs `leaves` of the chunk proofs `proofs` (same order)
/// into one proof, of the block the chunks' statements name.
pub fn aggregate_leaves(
    circuits: &mut Circuits,
    proofs: &[ChunkProof],
    leaves: Vec<Node>,
    progress: &mut dyn FnMut(&AggregationStep),
) -> Result<AggregatedProof, AggregationError> {
    if leaves.len() != proofs.len() {
        return Err(AggregationError::Statement(format!(
            "{} leaf proofs for {} chunk proofs",
            leaves.len(),
            proofs.len()
        )));
    }
    let layouts: Vec<ChunkLayout> = proofs.iter().map(ChunkLayout::of).collect();
    if let Some(i) = (0..leaves.len()).find(|&i| leaves[i].proof.public_inputs[..pi::NUM] != layouts[i].public_inputs())
    {
        return Err(AggregationError::Statement(format!(
            "leaf proof {i} does not prove chunk {i} (transactions {}..{})",
            layouts[i].statement.first_tx, layouts[i].statement.end_tx
        )));
    }
    let root = fold_tree(leaves, |left, right, level| {
        merge(circuits, &left, &right, level, progress)
    })?
    .ok_or(AggregationError::Empty)?;
    Ok(AggregatedProof {
        block: layouts[0].statement.block.number,
        first_tx: layouts[0].statement.first_tx,
        end_tx: layouts[layouts.len() - 1].statement.end_tx,
        steps: layouts.iter().map(|l| l.statement.steps).sum(),
        chunks: layouts,
        proof: root.proof,
    })
}

/// Proves chunk `proof` as the aggregated proof of that chunk alone (its
/// leaf proof): a proving cluster's chunk job.
pub fn aggregate_chunk(circuits: &mut Circuits, proof: &ChunkProof) -> Result<AggregatedProof, AggregationError> {
    let leaf = prove_leaf(circuits, 0, proof, &mut |_| {})?;
    aggregate_leaves(circuits, std::slice::from_ref(proof), vec![leaf], &mut |_| {})
}

/// Merges the aggregated proofs of two neighbouring runs of one block's
/// chunks into the aggregated proof of both runs: a proving cluster's
/// aggregation job. The children's circuits are rebuilt from the chunks they
/// list. The result verifies against [`VerifierData::for_chunks`] of the
/// joined chunks when the runs are subtrees of the block's tree (the left
/// run a full subtree of `2^h` chunks, the right one at most as long).
pub fn merge_aggregated(
    circuits: &mut Circuits,
    left: &AggregatedProof,
    right: &AggregatedProof,
) -> Result<AggregatedProof, AggregationError> {
    if left.block != right.block {
        return Err(AggregationError::Statement(format!(
            "cannot merge proofs of block {} and block {}",
            left.block, right.block
        )));
    }
    let node = |circuits: &mut Circuits, p: &AggregatedProof| -> Result<Node, AggregationError> {
        Ok(Node {
            proof: p.proof.clone(),
            circuit: VerifierData::for_chunks(circuits, &p.chunks)?.circuit,
        })
    };
    let (l, r) = (node(circuits, left)?, node(circuits, right)?);
    let chunks: Vec<ChunkLayout> = left.chunks.iter().chain(&right.chunks).cloned().collect();
    let level = chunks.len().next_power_of_two().trailing_zeros() as usize;
    let root = merge(circuits, &l, &r, level, &mut |_| {})?;
    Ok(AggregatedProof {
        block: left.block,
        first_tx: left.first_tx,
        end_tx: right.end_tx,
        steps: left.steps + right.steps,
        chunks,
        proof: root.proof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(n: usize) -> Option<String> {
        let items = (0..n).map(|i| i.to_string()).collect();
        fold_tree::<_, ()>(items, |l, r, level| Ok(format!("({l} {r})@{level}"))).unwrap()
    }

    #[test]
    fn odd_proofs_move_up_unchanged() {
        assert_eq!(shape(0), None);
        assert_eq!(shape(1).as_deref(), Some("0"));
        assert_eq!(shape(3).as_deref(), Some("((0 1)@1 2)@2"));
        assert_eq!(shape(5).as_deref(), Some("(((0 1)@1 (2 3)@1)@2 4)@3"));
        assert_eq!(num_steps(5), 14);
        assert_eq!(num_batch_steps(5), 9);
    }
}
