// Shape of one MSM pass, shared by every kernel.
struct Params {
    // Points (and scalars) in this pass.
    n: u32,
    // Window width c in bits.
    window_bits: u32,
    // Number of signed windows W, with W c >= 255.
    num_windows: u32,
    // Buckets per window, 2^(c - 1): digit magnitudes 1 ..= 2^(c - 1).
    buckets_per_window: u32,
    // Segments per window in the bucket reduction.
    segments: u32,
    // Buckets per segment, a power of two.
    segment_len: u32,
    // log2(segment_len).
    segment_len_log2: u32,
    // W * buckets_per_window.
    total_buckets: u32,
}

const WORKGROUP: u32 = 64u;

// Flat invocation index of a (possibly two-dimensional) dispatch.
fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP;
}

// Signed digit of window w of the canonical scalar s, given the carry out of
// window w - 1. Returns (encoded digit, carry out), the digit encoded as
// magnitude | sign << 31 with magnitude 0 meaning "no bucket".
fn signed_digit(s: array<u32, 8>, w: u32, c: u32, carry: u32) -> vec2<u32> {
    let bit = w * c;
    let limb = bit >> 5u;
    let shift = bit & 31u;
    var v = 0u;
    if limb < 8u {
        v = s[limb] >> shift;
        if shift + c > 32u && limb + 1u < 8u {
            v |= s[limb + 1u] << (32u - shift);
        }
    }
    v = (v & ((1u << c) - 1u)) + carry;
    let half = 1u << (c - 1u);
    if v > half {
        return vec2<u32>(((1u << c) - v) | 0x80000000u, 1u);
    }
    return vec2<u32>(v, 0u);
}
