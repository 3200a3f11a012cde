// Leaf hashing: absorbs a batch of columns (column-major, `rows` rows) into
// one Poseidon sponge per row, in plonky2's overwrite mode (rate 8). The
// sponge position `start_pos` carries over between batches; on the last
// batch the row's digest (state[0..4]) is written to its place among the
// leaf digests, or to the cap when the tree has no layers below the cap.
// Rows of at most 4 elements are not hashed (plonky2's `hash_or_noop`).

struct Params {
    rows: u32,
    batch_cols: u32,
    start_pos: u32,
    first: u32,
    finalize: u32,
    hash: u32,
    num_layers: u32,
    sub_len: u32,
}

@group(0) @binding(0) var<storage, read> columns: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> states: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> round_constants: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> digests: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> cap: array<vec2<u32>>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let r = invocation_index(wg, nwg, local);
    if (r >= params.rows) {
        return;
    }
    var s: array<Fe, 12>;
    for (var i = 0u; i < 12u; i++) {
        if (params.first == 1u) {
            s[i] = fe_zero();
        } else {
            s[i] = fe_load(states[r * 12u + i]);
        }
    }
    var pos = params.start_pos;
    for (var k = 0u; k < params.batch_cols; k++) {
        s[pos] = fe_load(columns[k * params.rows + r]);
        pos++;
        if (pos == 8u) {
            permute(&s);
            pos = 0u;
        }
    }
    if (params.finalize == 0u) {
        for (var i = 0u; i < 12u; i++) {
            states[r * 12u + i] = fe_store(s[i]);
        }
        return;
    }
    if (params.hash == 1u && pos != 0u) {
        permute(&s);
    }
    if (params.num_layers == 0u) {
        for (var i = 0u; i < 4u; i++) {
            cap[r * 4u + i] = fe_store(s[i]);
        }
    } else {
        let at = digest_position(0u, r, params.num_layers, params.sub_len);
        for (var i = 0u; i < 4u; i++) {
            digests[at * 4u + i] = fe_store(s[i]);
        }
    }
}
