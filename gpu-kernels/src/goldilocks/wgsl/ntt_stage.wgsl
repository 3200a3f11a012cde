// One radix-2 decimation-in-frequency stage of a batched NTT over columns
// stored one after another (column-major), each of length n = 2^n_log.
// Butterfly (a, b) -> (a + b, (a - b) * w^j) with half-width `half`.

struct Params {
    n_log: u32,
    half: u32,
    butterflies: u32,
    tw_stride: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
}

@group(0) @binding(0) var<storage, read_write> data: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read> twiddles: array<vec2<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let t = invocation_index(wg, nwg, local);
    if (t >= params.butterflies) {
        return;
    }
    let col = t >> (params.n_log - 1u);
    let k = t & ((1u << (params.n_log - 1u)) - 1u);
    let h = params.half;
    let j = k & (h - 1u);
    let i0 = (col << params.n_log) + ((k - j) << 1u) + j;
    let i1 = i0 + h;
    let a = fe_load(data[i0]);
    let b = fe_load(data[i1]);
    data[i0] = fe_store(fe_add(a, b));
    data[i1] = fe_store(fe_mul(fe_sub(a, b), fe_load(twiddles[j * params.tw_stride])));
}
