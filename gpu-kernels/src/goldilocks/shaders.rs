//! Assembles the WGSL sources: a field prelude (u64 or u32-only), the shared
//! helpers, and for hashing kernels the Poseidon permutation with an MDS layer
//! generated from plonky2's own constants.

use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::hash::poseidon::{Poseidon, SPONGE_WIDTH};
use std::fmt::Write;

const FIELD_U64: &str = include_str!("wgsl/field_u64.wgsl");
const FIELD_U32: &str = include_str!("wgsl/field_u32.wgsl");
const COMMON: &str = include_str!("wgsl/common.wgsl");
const POSEIDON: &str = include_str!("wgsl/poseidon.wgsl");

/// The kernels of this module, each one WGSL entry point `main`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shader {
    /// One global radix-2 DIF stage.
    NttStage,
    /// The last DIF stages in workgroup memory.
    NttTile,
    /// Bit-reversal permutation with scaling.
    BitrevScale,
    /// Inverse-NTT finish, zero padding and coset scaling.
    CosetPad,
    /// Leaf hashing (sponge absorb).
    Absorb,
    /// One Merkle tree level.
    MerkleLevel,
}

impl Shader {
    /// Every kernel, for compiling them all up front.
    pub const ALL: [Shader; 6] = [
        Shader::NttStage,
        Shader::NttTile,
        Shader::BitrevScale,
        Shader::CosetPad,
        Shader::Absorb,
        Shader::MerkleLevel,
    ];

    /// The kernel's label in wgpu diagnostics.
    pub fn label(self) -> &'static str {
        match self {
            Shader::NttStage => "goldilocks_ntt_stage",
            Shader::NttTile => "goldilocks_ntt_tile",
            Shader::BitrevScale => "goldilocks_bitrev_scale",
            Shader::CosetPad => "goldilocks_coset_pad",
            Shader::Absorb => "goldilocks_absorb",
            Shader::MerkleLevel => "goldilocks_merkle_level",
        }
    }

    fn body(self) -> &'static str {
        match self {
            Shader::NttStage => include_str!("wgsl/ntt_stage.wgsl"),
            Shader::NttTile => include_str!("wgsl/ntt_tile.wgsl"),
            Shader::BitrevScale => include_str!("wgsl/bitrev_scale.wgsl"),
            Shader::CosetPad => include_str!("wgsl/coset_pad.wgsl"),
            Shader::Absorb => include_str!("wgsl/absorb.wgsl"),
            Shader::MerkleLevel => include_str!("wgsl/merkle_level.wgsl"),
        }
    }

    fn hashes(self) -> bool {
        matches!(self, Shader::Absorb | Shader::MerkleLevel)
    }

    /// The complete WGSL source for the u64 (`int64`) or u32-only path.
    pub fn source(self, int64: bool) -> String {
        let mut src = String::from(if int64 { FIELD_U64 } else { FIELD_U32 });
        src.push_str(COMMON);
        if self.hashes() {
            src.push_str(POSEIDON);
            src.push_str(&mds_layer_source());
        }
        src.push_str(self.body());
        src
    }
}

/// `fn mds_layer`: row r of plonky2's MDS matrix is the circulant row
/// `MDS_MATRIX_CIRC` rotated by r plus `MDS_MATRIX_DIAG[r]` on the diagonal.
fn mds_layer_source() -> String {
    let circ = <GoldilocksField as Poseidon>::MDS_MATRIX_CIRC;
    let diag = <GoldilocksField as Poseidon>::MDS_MATRIX_DIAG;
    let mut src = String::from("\nfn mds_layer(s: ptr<function, array<Fe, 12>>) {\n    let v = *s;\n");
    for r in 0..SPONGE_WIDTH {
        let mut terms = Vec::new();
        for k in 0..SPONGE_WIDTH {
            let coefficient = circ[(k + SPONGE_WIDTH - r) % SPONGE_WIDTH] + if k == r { diag[r] } else { 0 };
            terms.push(format!("fe_mul_small(v[{k}], {coefficient}u)"));
        }
        let sum = terms
            .into_iter()
            .reduce(|acc, t| format!("fe_add({acc}, {t})"))
            .unwrap_or_default();
        let _ = writeln!(src, "    (*s)[{r}] = {sum};");
    }
    src.push_str("}\n");
    src
}
