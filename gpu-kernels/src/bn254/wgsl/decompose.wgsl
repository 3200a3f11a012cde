// Pass 1: converts each scalar from Montgomery form to canonical form in
// place and counts, for every window, how many points fall in each bucket.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> scalars: array<u32>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(gid, groups);
    if i >= params.n {
        return;
    }
    var s: array<u32, 8>;
    for (var k = 0u; k < 8u; k++) {
        s[k] = scalars[8u * i + k];
    }
    // Multiplying by 1 leaves the Montgomery domain: s R * 1 * R^-1 = s.
    var one: array<u32, 8>;
    one[0] = 1u;
    s = fr_mul(s, one);
    for (var k = 0u; k < 8u; k++) {
        scalars[8u * i + k] = s[k];
    }
    var carry = 0u;
    for (var w = 0u; w < params.num_windows; w++) {
        let d = signed_digit(s, w, params.window_bits, carry);
        carry = d.y;
        let magnitude = d.x & 0x7fffffffu;
        if magnitude != 0u {
            atomicAdd(&counts[w * params.buckets_per_window + magnitude - 1u], 1u);
        }
    }
}
