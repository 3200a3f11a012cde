// One level of a Merkle tree: node g of `level` is Poseidon's two-to-one
// compression of its children (level - 1, nodes 2g and 2g + 1, which sit side
// by side in plonky2's digest layout). The top level goes to the cap.

struct Params {
    level: u32,
    num_layers: u32,
    nodes: u32,
    sub_len: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
}

@group(0) @binding(0) var<storage, read_write> digests: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> cap: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> round_constants: array<vec2<u32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let g = invocation_index(wg, nwg, local);
    if (g >= params.nodes) {
        return;
    }
    let left = digest_position(params.level - 1u, 2u * g, params.num_layers, params.sub_len);
    var s: array<Fe, 12>;
    for (var i = 0u; i < 8u; i++) {
        s[i] = fe_load(digests[left * 4u + i]);
    }
    for (var i = 8u; i < 12u; i++) {
        s[i] = fe_zero();
    }
    permute(&s);
    if (params.level == params.num_layers) {
        for (var i = 0u; i < 4u; i++) {
            cap[g * 4u + i] = fe_store(s[i]);
        }
    } else {
        let at = digest_position(params.level, g, params.num_layers, params.sub_len);
        for (var i = 0u; i < 4u; i++) {
            digests[at * 4u + i] = fe_store(s[i]);
        }
    }
}
