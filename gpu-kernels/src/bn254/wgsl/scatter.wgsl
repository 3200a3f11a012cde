// Pass 3: writes every (point, sign) into its bucket's slot of the sorted
// list (counting sort; the order inside a bucket does not matter).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scalars: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> cursors: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> sorted: array<u32>;

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
    var carry = 0u;
    for (var w = 0u; w < params.num_windows; w++) {
        let d = signed_digit(s, w, params.window_bits, carry);
        carry = d.y;
        let magnitude = d.x & 0x7fffffffu;
        if magnitude != 0u {
            let bucket = w * params.buckets_per_window + magnitude - 1u;
            let slot = offsets[bucket] + atomicAdd(&cursors[bucket], 1u);
            sorted[slot] = i | (d.x & 0x80000000u);
        }
    }
}
