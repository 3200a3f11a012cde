// out[col][i] = input[col][bitrev(i)] * scale: turns the bit-reversed output
// of the DIF stages into natural order (scale = 1/n for an inverse NTT).

struct Params {
    n_log: u32,
    total: u32,
    scale_lo: u32,
    scale_hi: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec2<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

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
    let mask = (1u << params.n_log) - 1u;
    let src = (t & ~mask) | bitrev(t & mask, params.n_log);
    let scale = fe_load(vec2<u32>(params.scale_lo, params.scale_hi));
    output[t] = fe_store(fe_mul(fe_load(input[src]), scale));
}
