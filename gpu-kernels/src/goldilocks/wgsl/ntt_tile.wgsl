// The last decimation-in-frequency stages of a batched NTT (half-widths
// `first_half`, first_half/2, ..., 1) in workgroup memory: each workgroup
// loads TILE consecutive elements, runs every remaining stage on them and
// writes them back. Columns shorter than TILE share a tile.

const TILE: u32 = 1024u;

struct Params {
    n_log: u32,
    total: u32,
    first_half: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
    _pad4: u32,
}

@group(0) @binding(0) var<storage, read_write> data: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read> twiddles: array<vec2<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> tile: array<Fe, TILE>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let base = (wg.y * nwg.x + wg.x) * TILE;
    for (var s = 0u; s < TILE / WORKGROUP; s++) {
        let idx = local + s * WORKGROUP;
        if (base + idx < params.total) {
            tile[idx] = fe_load(data[base + idx]);
        }
    }
    workgroupBarrier();
    let half_n = 1u << (params.n_log - 1u);
    var h = params.first_half;
    loop {
        if (h == 0u) {
            break;
        }
        let stride = half_n / h;
        for (var s = 0u; s < TILE / (2u * WORKGROUP); s++) {
            let b = local + s * WORKGROUP;
            let j = b & (h - 1u);
            let i0 = ((b - j) << 1u) + j;
            if (base + i0 < params.total) {
                let x = tile[i0];
                let y = tile[i0 + h];
                tile[i0] = fe_add(x, y);
                tile[i0 + h] = fe_mul(fe_sub(x, y), fe_load(twiddles[j * stride]));
            }
        }
        workgroupBarrier();
        h = h >> 1u;
    }
    for (var s = 0u; s < TILE / WORKGROUP; s++) {
        let idx = local + s * WORKGROUP;
        if (base + idx < params.total) {
            data[base + idx] = fe_store(tile[idx]);
        }
    }
}
