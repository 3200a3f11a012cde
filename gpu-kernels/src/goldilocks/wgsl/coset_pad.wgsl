// Finishes an inverse NTT and starts a coset LDE: from the bit-reversed,
// unscaled inverse-DIF output x (columns of n = 2^n_log), writes the
// coefficients c[i] = x[bitrev(i)] / n and the zero-padded, coset-scaled
// vector lde[i] = c[i] * shift^i (i < n), 0 (n <= i < 2^lde_log).

struct Params {
    n_log: u32,
    lde_log: u32,
    total: u32,
    inv_n_lo: u32,
    inv_n_hi: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> coeffs: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> lde: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> shift_powers: array<vec2<u32>>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let t = invocation_index(wg, nwg, local);
    if (t >= params.total) {
        return;
    }
    let col = t >> params.lde_log;
    let i = t & ((1u << params.lde_log) - 1u);
    let n = 1u << params.n_log;
    if (i < n) {
        let inv_n = fe_load(vec2<u32>(params.inv_n_lo, params.inv_n_hi));
        let c = fe_mul(fe_load(x[col * n + bitrev(i, params.n_log)]), inv_n);
        coeffs[col * n + i] = fe_store(c);
        lde[t] = fe_store(fe_mul(c, fe_load(shift_powers[i])));
    } else {
        lde[t] = fe_store(fe_zero());
    }
}
