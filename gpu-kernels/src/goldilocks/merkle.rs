//! Poseidon Merkle trees laid out exactly like plonky2's `MerkleTree`: leaf
//! digests by `hash_or_noop` of each row, inner nodes by two-to-one
//! compression, `2 * (rows - 2^cap_height)` digests in the order documented
//! on `MerkleTree::digests`, and the cap.

use super::engine::{from_words, GoldilocksGpu, F};
use super::shaders::Shader;
use super::timings::Timings;
use crate::context::GpuError;
use plonky2::field::types::PrimeField64;
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::merkle_tree::{MerkleCap, MerkleTree};
use plonky2::hash::poseidon::PoseidonHash;
use rayon::prelude::*;
use std::time::Instant;

/// plonky2's Merkle tree with Poseidon over Goldilocks.
pub type PoseidonMerkleTree = MerkleTree<F, PoseidonHash>;

/// Device buffers of a tree being built: per-row sponge states, the digests
/// and the cap, plus how many leaf columns have been absorbed so far.
pub(crate) struct TreeBuild {
    rows: usize,
    total_cols: usize,
    absorbed: usize,
    num_layers: usize,
    cap_height: usize,
    states: wgpu::Buffer,
    digests: wgpu::Buffer,
    cap: wgpu::Buffer,
}

impl TreeBuild {
    fn sub_len(&self) -> usize {
        2 * ((1usize << self.num_layers) - 1)
    }

    fn num_digests(&self) -> usize {
        2 * (self.rows - (1usize << self.cap_height))
    }
}

impl GoldilocksGpu {
    /// Allocates a tree over `rows` leaves (a power of two) of `total_cols`
    /// elements each, with a cap of 2^cap_height digests.
    pub(crate) fn begin_tree(&self, rows: usize, total_cols: usize, cap_height: usize) -> Result<TreeBuild, GpuError> {
        let log = rows.trailing_zeros() as usize;
        if !rows.is_power_of_two() || cap_height > log {
            return Err(GpuError::InvalidInput(format!(
                "Merkle tree: {rows} leaves with cap height {cap_height}; need a power of two of at least 2^{cap_height} leaves"
            )));
        }
        if total_cols == 0 {
            return Err(GpuError::InvalidInput("Merkle tree: leaves are empty".into()));
        }
        let limit = self.device_binding_elements();
        if rows * 12 > limit || rows * 8 > limit {
            return Err(GpuError::InvalidInput(format!(
                "Merkle tree: {rows} leaves need {} elements of sponge state, over the device's binding limit of {limit}",
                rows * 12
            )));
        }
        Ok(TreeBuild {
            rows,
            total_cols,
            absorbed: 0,
            num_layers: log - cap_height,
            cap_height,
            states: self.buffer("merkle_states", rows * 12),
            digests: self.buffer("merkle_digests", 2 * (rows - (1 << cap_height)) * 4),
            cap: self.buffer("merkle_cap", (1 << cap_height) * 4),
        })
    }

    /// Records absorbing the next `batch_cols` leaf columns, stored
    /// column-major in `columns`; the last batch also writes leaf digests.
    pub(crate) fn encode_absorb(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        tree: &mut TreeBuild,
        columns: &wgpu::Buffer,
        batch_cols: usize,
    ) {
        let finalize = tree.absorbed + batch_cols == tree.total_cols;
        let params = [
            tree.rows as u32,
            batch_cols as u32,
            (tree.absorbed % 8) as u32,
            u32::from(tree.absorbed == 0),
            u32::from(finalize),
            u32::from(tree.total_cols > 4),
            tree.num_layers as u32,
            tree.sub_len() as u32,
        ];
        self.dispatch(
            encoder,
            Shader::Absorb,
            &[columns, &tree.states, self.round_constants(), &tree.digests, &tree.cap],
            params,
            GoldilocksGpu::groups_for(tree.rows),
        );
        tree.absorbed += batch_cols;
    }

    /// Records every level above the leaf digests, up to the cap.
    pub(crate) fn encode_levels(&self, encoder: &mut wgpu::CommandEncoder, tree: &TreeBuild) {
        for level in 1..=tree.num_layers {
            let nodes = tree.rows >> level;
            self.dispatch(
                encoder,
                Shader::MerkleLevel,
                &[&tree.digests, &tree.cap, self.round_constants()],
                [
                    level as u32,
                    tree.num_layers as u32,
                    nodes as u32,
                    tree.sub_len() as u32,
                    0,
                    0,
                    0,
                    0,
                ],
                GoldilocksGpu::groups_for(nodes),
            );
        }
    }

    /// Reads the digests and cap back and assembles plonky2's tree around
    /// `leaves`.
    pub(crate) fn finish_tree(
        &self,
        tree: TreeBuild,
        leaves: Vec<Vec<F>>,
        timings: &mut Timings,
    ) -> Result<PoseidonMerkleTree, GpuError> {
        let digests = self.download(&tree.digests, tree.num_digests() * 4, timings)?;
        let cap = self.download(&tree.cap, (1usize << tree.cap_height) * 4, timings)?;
        let start = Instant::now();
        let tree = MerkleTree {
            leaves,
            digests: to_hashes(&digests),
            cap: MerkleCap(to_hashes(&cap)),
        };
        timings.host += start.elapsed();
        Ok(tree)
    }

    /// Builds the Merkle tree of `leaves` (rows of equal length, a power of
    /// two of them) with a cap of 2^cap_height, exactly as
    /// `MerkleTree::new(leaves, cap_height)` does.
    pub fn merkle_tree(
        &self,
        leaves: Vec<Vec<F>>,
        cap_height: usize,
    ) -> Result<(PoseidonMerkleTree, Timings), GpuError> {
        let mut timings = Timings::default();
        let width = leaves.first().map_or(0, Vec::len);
        if let Some((i, row)) = leaves.iter().enumerate().find(|(_, r)| r.len() != width) {
            return Err(GpuError::InvalidInput(format!(
                "Merkle tree: leaf {i} has {} elements, expected {width} like leaf 0",
                row.len()
            )));
        }
        let rows = leaves.len();
        let mut tree = self.begin_tree(rows, width, cap_height)?;
        let batch_cols = (self.max_binding_elements() / rows).max(1);
        let mut first_col = 0;
        while first_col < width {
            let cols = batch_cols.min(width - first_col);
            let start = Instant::now();
            let words: Vec<u64> = (first_col..first_col + cols)
                .flat_map(|c| leaves.iter().map(move |row| row[c].to_canonical_u64()))
                .collect();
            timings.host += start.elapsed();
            let columns = self.buffer("merkle_leaf_columns", words.len());
            self.upload(&columns, &words, &mut timings)?;
            let mut encoder = self.encoder();
            self.encode_absorb(&mut encoder, &mut tree, &columns, cols);
            if first_col + cols == width {
                self.encode_levels(&mut encoder, &tree);
            }
            self.run(encoder, &mut timings)?;
            first_col += cols;
        }
        let tree = self.finish_tree(tree, leaves, &mut timings)?;
        Ok((tree, timings))
    }
}

/// Groups words four by four into digests.
fn to_hashes(words: &[u64]) -> Vec<HashOut<F>> {
    words
        .par_chunks_exact(4)
        .map(|w| {
            let e = from_words(w);
            HashOut {
                elements: [e[0], e[1], e[2], e[3]],
            }
        })
        .collect()
}

/// CPU reference: plonky2's `MerkleTree::new`.
pub fn merkle_tree_reference(leaves: Vec<Vec<F>>, cap_height: usize) -> PoseidonMerkleTree {
    MerkleTree::new(leaves, cap_height)
}
