// Pass 5: bucket reduction (the host finishes it). Window w's sum is sum_j (j + 1) B_j over its
// buckets B_0 .. B_{2^(c-1) - 1}. Each invocation takes one segment of L
// buckets and returns, by running sums from the top, the weighted sum
// sum_{j in seg} (j - start + 1) B_j and the plain sum sum_{j in seg} B_j.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> buckets: array<u32>;
@group(0) @binding(2) var<storage, read_write> segments: array<u32>;

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

fn store_segment(slot: u32, p: Xyzz) {
    for (var k = 0u; k < 8u; k++) {
        segments[32u * slot + k] = p.x[k];
        segments[32u * slot + 8u + k] = p.y[k];
        segments[32u * slot + 16u + k] = p.zz[k];
        segments[32u * slot + 24u + k] = p.zzz[k];
    }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let s = flat_index(gid, groups);
    if s >= params.num_windows * params.segments {
        return;
    }
    let w = s / params.segments;
    let t = s % params.segments;
    let first = w * params.buckets_per_window + t * params.segment_len;
    // Even steps add bucket j (from the top) into `running`, odd steps add
    // `running` into `weighted`: one call site of the group law, so the
    // driver inlines the formulas once.
    var running = xyzz_identity();
    var weighted = xyzz_identity();
    for (var step = 0u; step < 2u * params.segment_len; step++) {
        let odd = (step & 1u) == 1u;
        var a = running;
        var b = running;
        if odd {
            a = weighted;
        } else {
            b = load_bucket(first + params.segment_len - 1u - step / 2u);
        }
        let sum = xyzz_add(a, b, false);
        if odd {
            weighted = sum;
        } else {
            running = sum;
        }
    }
    store_segment(2u * s, weighted);
    store_segment(2u * s + 1u, running);
}
