// Pass 2: per-window exclusive prefix sums of the bucket counts, one
// workgroup per window. A point has at most one digit per window, so window
// w's entries fit in slots w n .. (w + 1) n of the sorted list and the
// windows need no common scan: offsets[b] = w n + (entries of the window's
// earlier buckets). Also records the largest bucket, which sets the number
// of accumulation rounds.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> max_count: atomic<u32>;

const SCAN_THREADS: u32 = 256u;
var<workgroup> partial: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) group: vec3<u32>) {
    let w = group.x;
    let buckets = params.buckets_per_window;
    let per_thread = (buckets + SCAN_THREADS - 1u) / SCAN_THREADS;
    let first = w * buckets;
    let start = first + min(t * per_thread, buckets);
    let end = first + min((t + 1u) * per_thread, buckets);
    var sum = 0u;
    var largest = 0u;
    for (var b = start; b < end; b++) {
        sum += counts[b];
        largest = max(largest, counts[b]);
    }
    atomicMax(&max_count, largest);
    partial[t] = sum;
    workgroupBarrier();
    // Hillis-Steele inclusive scan of the per-thread sums.
    for (var stride = 1u; stride < SCAN_THREADS; stride <<= 1u) {
        var add = 0u;
        if t >= stride {
            add = partial[t - stride];
        }
        workgroupBarrier();
        partial[t] += add;
        workgroupBarrier();
    }
    var running = w * params.n + partial[t] - sum;
    for (var b = start; b < end; b++) {
        offsets[b] = running;
        running += counts[b];
    }
}
