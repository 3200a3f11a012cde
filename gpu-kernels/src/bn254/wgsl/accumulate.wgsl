// Pass 4, run in rounds: in round r, one invocation per bucket adds the
// bucket's points r M .. (r + 1) M - 1 (negated where the digit was
// negative) into the bucket with mixed additions. Bounding the work of one
// invocation keeps every dispatch short; Mesa's software Vulkan also stops
// loops after 65535 iterations (inner loops included), which a single pass
// over a large bucket would exceed.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> bases: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> counts: array<u32>;
@group(0) @binding(4) var<storage, read> sorted: array<u32>;
@group(0) @binding(5) var<storage, read_write> buckets: array<u32>;
// x: the round r.
@group(0) @binding(6) var<uniform> acc_round: vec4<u32>;

// Points per bucket and round (M).
const ROUND_POINTS: u32 = 256u;

fn load_bucket(b: u32) -> Xyzz {
    var p: Xyzz;
    for (var k = 0u; k < 8u; k++) {
        p.x[k] = buckets[32u * b + k];
        p.y[k] = buckets[32u * b + 8u + k];
        p.zz[k] = buckets[32u * b + 16u + k];
        p.zzz[k] = buckets[32u * b + 24u + k];
    }
    return p;
}

fn load_base(i: u32) -> Affine {
    var a: Affine;
    for (var k = 0u; k < 8u; k++) {
        a.x[k] = bases[16u * i + k];
        a.y[k] = bases[16u * i + 8u + k];
    }
    return a;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let b = flat_index(gid, groups);
    if b >= params.total_buckets {
        return;
    }
    let start = offsets[b] + acc_round.x * ROUND_POINTS;
    let end = min(start + ROUND_POINTS, offsets[b] + counts[b]);
    if acc_round.x > 0u && start >= end {
        return;
    }
    var acc = xyzz_identity();
    if acc_round.x > 0u {
        acc = load_bucket(b);
    }
    for (var e = start; e < end; e++) {
        let entry = sorted[e];
        var a = load_base(entry & 0x7fffffffu);
        if (entry & 0x80000000u) != 0u {
            a = affine_neg(a);
        }
        acc = xyzz_add(acc, xyzz_from_affine(a), true);
    }
    for (var k = 0u; k < 8u; k++) {
        buckets[32u * b + k] = acc.x[k];
        buckets[32u * b + 8u + k] = acc.y[k];
        buckets[32u * b + 16u + k] = acc.zz[k];
        buckets[32u * b + 24u + k] = acc.zzz[k];
    }
}
