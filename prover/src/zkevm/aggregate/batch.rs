//! Aggregating consecutive blocks into one batch proof.
//!
//! A **block** circuit ([`BlockCircuit`]) verifies the root proof of one
//! block's aggregation tree (its circuit and tree hashes are fixed at build
//! time), checks that the proof starts at the block's first transaction, and
//! re-exposes it in batch form and in normal form ([`super::normal`]), the
//! same statement layout ([`pi`]) with blocks in place of transactions:
//! `FIRST_TX` holds the block's number, `END_TX` the number plus one, the
//! digest becomes `Poseidon(number ‖ transactions ‖ block digest)`, and the
//! step count and the state roots pass through.
//!
//! Batch-form proofs of neighbouring block ranges are then merged by the
//! merge circuit of the chunk trees ([`mod@super::merge`]), level by level as
//! there, block circuits standing for leaves: it checks that the left range
//! of blocks ends where the right one starts and that the left range's new
//! state root is the right one's old root, and hashes the two digests. The root proves blocks `first..end`
//! from the old state root to the new one, with the same public inputs a
//! block proof has, so the L1 wrap takes it as it takes a block proof.
//!
//! As for blocks, every circuit is rebuilt by the verifier from the chunk
//! layouts of each block ([`BatchVerifierData::for_blocks`]).

use super::super::proof::{C, D};
use super::circuits::Circuits;
use super::leaf::ChunkLayout;
use super::normal::{leaf_public_inputs, npi, NormalForm};
use super::proof::{decode, encode, ProofCodecError};
use super::tree::{
    aggregated_public_inputs, fold_tree, merge, merged_tree_public_inputs, AggregationStep, Node, StepKind,
};
use super::verify::{check_block_number, fold_normal_tree, VerifierData};
use super::{circuit_config, pi, AggregatedProof, AggregationError, PlonkProof};
use plonky2::field::types::{Field, Field64, PrimeField64};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitData, VerifierCircuitData};
use plonky2::plonk::config::Hasher as _;
use plonky2::plonk::proof::ProofWithPublicInputsTarget;
use serde::{Deserialize, Serialize};
use std::time::Instant;
use witness::F;

/// The first bytes of a serialised [`BatchProof`].
pub const MAGIC: &[u8; 8] = b"ZKRBAT02";

/// The circuit that turns one block's aggregated proof into batch form.
pub struct BlockCircuit {
    /// The circuit.
    pub data: CircuitData<F, C, D>,
    block: ProofWithPublicInputsTarget<D>,
    number: Target,
}

/// The statement public inputs of the block circuit's proof of block
/// `number`, whose aggregated proof has public inputs `block` (what the
/// circuit computes).
pub fn block_public_inputs(number: u64, block: &[F]) -> Vec<F> {
    let number = F::from_canonical_u64(number);
    let mut out = vec![number, number + F::ONE, block[pi::STEPS]];
    let mut digest_input = vec![number, block[pi::END_TX]];
    digest_input.extend(&block[pi::DIGEST..pi::OLD_ROOT]);
    out.extend(PoseidonHash::hash_no_pad(&digest_input).elements);
    out.extend(&block[pi::OLD_ROOT..pi::NUM]);
    out
}

impl BlockCircuit {
    /// Builds the block circuit, in normal form, for root proofs of the
    /// circuit `root` whose tree hashes are `tree` (the public inputs from
    /// [`npi::LEAVES`] on, which the verifier rebuilt from the block's chunks).
    pub fn build(normal: &NormalForm, root: &VerifierCircuitData<F, C, D>, tree: &[F]) -> Result<Self, String> {
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let block = b.add_virtual_proof_with_pis(&root.common);
        let inner = b.constant_verifier_data(&root.verifier_only);
        b.verify_proof::<C>(&block, &inner, &root.common);
        let p = block.public_inputs.clone();
        if p.len() != npi::NUM || tree.len() != npi::NUM - npi::LEAVES {
            return Err(format!(
                "a block circuit takes normal-form proofs ({} public inputs) and {} tree hash elements, not {} and {}",
                npi::NUM,
                npi::NUM - npi::LEAVES,
                p.len(),
                tree.len()
            ));
        }
        // The block's tree rests on the leaves the verifier expects.
        for (&target, &value) in p[npi::LEAVES..].iter().zip(tree) {
            let value = b.constant(value);
            b.connect(target, value);
        }
        // The proof covers the block from its first transaction.
        b.assert_zero(p[pi::FIRST_TX]);
        let number = b.add_virtual_target();
        let end = b.add_const(number, F::ONE);
        let mut digest_input = vec![number, p[pi::END_TX]];
        digest_input.extend(&p[pi::DIGEST..pi::OLD_ROOT]);
        let digest = b.hash_n_to_hash_no_pad::<PoseidonHash>(digest_input);
        b.register_public_input(number);
        b.register_public_input(end);
        b.register_public_input(p[pi::STEPS]);
        b.register_public_inputs(&digest.elements);
        b.register_public_inputs(&p[pi::OLD_ROOT..pi::NUM]);
        Ok(Self {
            data: normal.finish_leaf(b)?,
            block,
            number,
        })
    }

    /// Proves block `number` from its aggregated root proof, and checks the result.
    pub fn prove(&self, number: u64, block: &PlonkProof) -> Result<PlonkProof, String> {
        let mut pw = PartialWitness::new();
        crate::guard::guarded("filling the block witness", || {
            pw.set_proof_with_pis_target(&self.block, block)
                .map_err(|e| e.to_string())?;
            pw.set_target(self.number, F::from_canonical_u64(number))
                .map_err(|e| e.to_string())
        })?;
        super::circuits::prove_checked(&self.data, pw)
    }
}

/// A block of a batch as the verifier sees it: its number and the layouts
/// of its chunks, from which its circuits are rebuilt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchBlock {
    /// Block number.
    pub number: u64,
    /// Every chunk's statement and table degrees, in order.
    pub chunks: Vec<ChunkLayout>,
}

impl BatchBlock {
    /// Number of transactions of the block.
    pub fn transactions(&self) -> u32 {
        self.chunks.last().map_or(0, |c| c.statement.end_tx)
    }

    /// Number of steps proven for the block.
    pub fn steps(&self) -> u64 {
        self.chunks.iter().map(|c| c.statement.steps).sum()
    }
}

/// One plonky2 proof that consecutive blocks execute, each from the state
/// root the previous one left.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BatchProof {
    /// The blocks, in order (consecutive numbers).
    pub blocks: Vec<BatchBlock>,
    /// The root proof, in normal form (public inputs: [`npi`], with block
    /// numbers in place of the transaction range).
    pub proof: PlonkProof,
}

impl BatchProof {
    /// Number of the first block.
    pub fn first_block(&self) -> u64 {
        self.blocks.first().map_or(0, |b| b.number)
    }

    /// One past the number of the last block.
    pub fn end_block(&self) -> u64 {
        self.blocks.last().map_or(0, |b| b.number + 1)
    }

    /// Number of steps proven over all blocks.
    pub fn steps(&self) -> u64 {
        self.blocks.iter().map(BatchBlock::steps).sum()
    }

    /// Every chunk of every block, in order.
    pub fn chunks(&self) -> impl Iterator<Item = &ChunkLayout> {
        self.blocks.iter().flat_map(|b| &b.chunks)
    }

    /// What it proves, for people: blocks, steps and chunks.
    pub fn summary(&self) -> String {
        format!(
            "blocks {}..{}, {} steps in {} chunks",
            self.first_block(),
            self.end_block(),
            self.steps(),
            self.chunks().count()
        )
    }

    /// Whether `bytes` start like a serialised batch proof.
    pub fn is_batch(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// Serialises as [`MAGIC`] followed by bincode (standard configuration).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ProofCodecError> {
        encode(MAGIC, self)
    }

    /// Deserialises what [`BatchProof::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProofCodecError> {
        decode(MAGIC, "a batch proof", bytes)
    }
}

/// Block numbers must be consecutive, fit the circuits' field and be the
/// numbers the blocks' chunk statements name.
fn check_numbers(blocks: &[BatchBlock]) -> Result<(), AggregationError> {
    let mut previous: Option<u64> = None;
    for &BatchBlock { number, ref chunks } in blocks {
        check_block_number(number, chunks)?;
        if number >= F::ORDER - 1 {
            return Err(AggregationError::Statement(format!(
                "block number {number} does not fit the batch circuits (it must be below 2^64 - 2^32)"
            )));
        }
        if let Some(previous) = previous.filter(|&p| p + 1 != number) {
            return Err(AggregationError::Statement(format!(
                "block {number} does not follow block {previous}: a batch holds consecutive blocks"
            )));
        }
        previous = Some(number);
    }
    Ok(())
}

/// Each block must start from the state root the previous block left.
fn check_roots(blocks: &[BatchBlock]) -> Result<(), AggregationError> {
    for pair in blocks.windows(2) {
        let left = pair[0].chunks.last().map(|c| c.statement.new_root);
        let right = pair[1].chunks.first().map(|c| c.statement.old_root);
        if left != right {
            return Err(AggregationError::Statement(format!(
                "block {} does not start from the state root block {} leaves",
                pair[1].number, pair[0].number
            )));
        }
    }
    Ok(())
}

/// Aggregates the aggregated proofs of consecutive blocks, in order, into
/// one batch proof. `progress` is called after every block and merge proof.
pub fn aggregate_batch(
    circuits: &mut Circuits,
    blocks: &[AggregatedProof],
    progress: &mut dyn FnMut(&AggregationStep),
) -> Result<BatchProof, AggregationError> {
    let layouts: Vec<BatchBlock> = blocks
        .iter()
        .map(|b| BatchBlock {
            number: b.block,
            chunks: b.chunks.clone(),
        })
        .collect();
    check_numbers(&layouts)?;
    check_roots(&layouts)?;
    let mut nodes = Vec::with_capacity(blocks.len());
    for (index, block) in blocks.iter().enumerate() {
        if block.first_tx != 0 {
            return Err(AggregationError::Statement(format!(
                "the proof of block {} starts at transaction {}: a batch takes whole blocks",
                block.block, block.first_tx
            )));
        }
        let root = VerifierData::for_chunks(circuits, &block.chunks)?;
        let start = Instant::now();
        let circuit = circuits
            .block(&root.circuit, &root.public_inputs[npi::LEAVES..])
            .map_err(AggregationError::Circuit)?;
        let build = start.elapsed();
        let start = Instant::now();
        let proof = circuit
            .prove(block.block, &block.proof)
            .map_err(|reason| AggregationError::Verify(format!("block {}: {reason}", block.block)))?;
        progress(&AggregationStep {
            kind: StepKind::Block { index },
            build,
            prove: start.elapsed(),
            degree_bits: circuit.data.common.degree_bits(),
        });
        nodes.push(Node {
            proof,
            circuit: circuit.data.verifier_data(),
        });
    }
    let root = fold_tree(nodes, |left, right, level| {
        merge(circuits, &left, &right, level, progress)
    })?
    .ok_or(AggregationError::Empty)?;
    Ok(BatchProof {
        blocks: layouts,
        proof: root.proof,
    })
}

/// Proves one block's aggregated proof in batch form: the batch proof of
/// that block alone (a proving cluster's block job, which
/// [`merge_batches`] then joins with its neighbours).
pub fn batch_of_block(circuits: &mut Circuits, block: &AggregatedProof) -> Result<BatchProof, AggregationError> {
    aggregate_batch(circuits, std::slice::from_ref(block), &mut |_| {})
}

/// Merges the batch proofs of two neighbouring runs of blocks into the
/// batch proof of both runs: a proving cluster's aggregation job above the
/// blocks. The children's circuits are rebuilt from the blocks they list.
/// The result verifies against [`BatchVerifierData::for_blocks`] of the
/// joined blocks when the runs are subtrees of the batch's tree (the left
/// run a full subtree of `2^h` blocks, the right one at most as long).
pub fn merge_batches(
    circuits: &mut Circuits,
    left: &BatchProof,
    right: &BatchProof,
) -> Result<BatchProof, AggregationError> {
    let blocks: Vec<BatchBlock> = left.blocks.iter().chain(&right.blocks).cloned().collect();
    check_numbers(&blocks)?;
    check_roots(&blocks)?;
    let node = |circuits: &mut Circuits, p: &BatchProof| -> Result<Node, AggregationError> {
        Ok(Node {
            proof: p.proof.clone(),
            circuit: BatchVerifierData::for_blocks(circuits, &p.blocks)?.circuit,
        })
    };
    let (l, r) = (node(circuits, left)?, node(circuits, right)?);
    let level = blocks.len().next_power_of_two().trailing_zeros() as usize;
    let root = merge(circuits, &l, &r, level, &mut |_| {})?;
    Ok(BatchProof {
        blocks,
        proof: root.proof,
    })
}

/// What verifying a batch proof needs: the root circuit's verifier data and
/// the public inputs a proof of these blocks must have, rebuilt from the
/// blocks' chunk layouts.
#[derive(Clone, Debug)]
pub struct BatchVerifierData {
    /// The root circuit (the input the BN254 wrap re-proves against).
    pub circuit: VerifierCircuitData<F, C, D>,
    /// The blocks it was built for.
    pub blocks: Vec<BatchBlock>,
    /// Expected public inputs of the root proof.
    pub public_inputs: Vec<F>,
}

impl BatchVerifierData {
    /// Rebuilds the circuits of the batch tree of `blocks` (reusing those
    /// already in `circuits`). Fails unless the block numbers are
    /// consecutive, each block's chunks check ([`VerifierData::for_chunks`])
    /// and start at its first transaction, and the blocks' state roots link.
    pub fn for_blocks(circuits: &mut Circuits, blocks: &[BatchBlock]) -> Result<Self, AggregationError> {
        check_numbers(blocks)?;
        check_roots(blocks)?;
        let mut nodes = Vec::with_capacity(blocks.len());
        for block in blocks {
            let data = VerifierData::for_chunks(circuits, &block.chunks)
                .map_err(|e| AggregationError::Statement(format!("block {}: {e}", block.number)))?;
            if data.public_inputs[pi::FIRST_TX] != F::ZERO {
                return Err(AggregationError::Statement(format!(
                    "block {}'s chunks start at transaction {}: a batch takes whole blocks",
                    block.number,
                    data.public_inputs[pi::FIRST_TX]
                )));
            }
            let circuit = circuits
                .block(&data.circuit, &data.public_inputs[npi::LEAVES..])
                .map_err(AggregationError::Circuit)?
                .data
                .verifier_data();
            nodes.push((
                circuit,
                leaf_public_inputs(block_public_inputs(block.number, &data.public_inputs)),
            ));
        }
        let (circuit, public_inputs) = fold_normal_tree(circuits, nodes)?;
        Ok(Self {
            circuit,
            blocks: blocks.to_vec(),
            public_inputs,
        })
    }
}

/// Verifies a batch proof: its blocks are those `data` was built for, its
/// root proof's public inputs are those the blocks give, and it verifies
/// against the rebuilt root circuit.
pub fn verify_batch(proof: &BatchProof, data: &BatchVerifierData) -> Result<(), AggregationError> {
    if proof.blocks != data.blocks {
        return Err(AggregationError::Statement(
            "the verifier data was built for other blocks than the proof lists".into(),
        ));
    }
    if proof.proof.public_inputs != data.public_inputs {
        let range = |pis: &[F]| (pis[pi::FIRST_TX].to_canonical_u64(), pis[pi::END_TX].to_canonical_u64());
        return Err(AggregationError::Statement(format!(
            "the root proof's public inputs (blocks {:?}) do not match the blocks' numbers, steps, statement \
             digests and state roots (blocks {:?})",
            range(&proof.proof.public_inputs),
            range(&data.public_inputs)
        )));
    }
    data.circuit
        .verify(proof.proof.clone())
        .map_err(|e| AggregationError::Verify(format!("{e:#}")))
}

/// The public inputs ([`pi`]) a batch proof of `blocks` has, computed
/// natively from their chunk statements (no circuit is built); `None` when
/// there are no blocks.
pub fn batch_public_inputs(blocks: &[BatchBlock]) -> Option<Vec<F>> {
    let leaves = blocks
        .iter()
        .map(|b| Some(block_public_inputs(b.number, &aggregated_public_inputs(&b.chunks)?)))
        .collect::<Option<Vec<_>>>()?;
    merged_tree_public_inputs(leaves)
}
