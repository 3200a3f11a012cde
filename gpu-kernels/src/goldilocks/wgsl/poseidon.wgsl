// plonky2's Poseidon permutation over Goldilocks (width 12, 4 + 22 + 4
// rounds, S-box x^7), in its plain form: add round constants, S-box (all
// lanes in full rounds, lane 0 in partial rounds), MDS. plonky2's fast
// partial rounds compute the same function. The round constants come from
// the `round_constants` buffer and `mds_layer` is generated from plonky2's
// MDS_MATRIX_CIRC and MDS_MATRIX_DIAG by the host code.

const POSEIDON_HALF_FULL_ROUNDS: u32 = 4u;
const POSEIDON_PARTIAL_ROUNDS: u32 = 22u;

fn sbox(x: Fe) -> Fe {
    let x2 = fe_mul(x, x);
    let x4 = fe_mul(x2, x2);
    let x3 = fe_mul(x, x2);
    return fe_mul(x3, x4);
}

fn full_round(s: ptr<function, array<Fe, 12>>, round: u32) {
    for (var i = 0u; i < 12u; i++) {
        (*s)[i] = sbox(fe_add((*s)[i], fe_load(round_constants[round * 12u + i])));
    }
    mds_layer(s);
}

fn partial_round(s: ptr<function, array<Fe, 12>>, round: u32) {
    for (var i = 0u; i < 12u; i++) {
        (*s)[i] = fe_add((*s)[i], fe_load(round_constants[round * 12u + i]));
    }
    (*s)[0] = sbox((*s)[0]);
    mds_layer(s);
}

fn permute(s: ptr<function, array<Fe, 12>>) {
    var round = 0u;
    for (var r = 0u; r < POSEIDON_HALF_FULL_ROUNDS; r++) {
        full_round(s, round);
        round++;
    }
    for (var r = 0u; r < POSEIDON_PARTIAL_ROUNDS; r++) {
        partial_round(s, round);
        round++;
    }
    for (var r = 0u; r < POSEIDON_HALF_FULL_ROUNDS; r++) {
        full_round(s, round);
        round++;
    }
}

// Position of node `g` of tree level `level` (0 = leaf digests) in plonky2's
// `MerkleTree::digests`: one block of `sub_len` digests per cap subtree, and
// inside it the two children of every node stored side by side.
fn digest_position(level: u32, g: u32, num_layers: u32, sub_len: u32) -> u32 {
    let subtree = g >> (num_layers - level);
    let j = g & ((1u << (num_layers - level)) - 1u);
    return subtree * sub_len + 2u * (((j >> 1u) << (level + 1u)) + (1u << level) - 1u) + (j & 1u);
}
