// a * b + c + d as (low word, high word), with 32-bit integers only: the
// product is assembled from four 16 x 16 -> 32-bit partial products.
fn mac(a: u32, b: u32, c: u32, d: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let ll = a0 * b0;
    let lh = a0 * b1;
    let hl = a1 * b0;
    var hi = a1 * b1;
    let mid = lh + hl;
    hi += select(0u, 0x10000u, mid < lh);
    var lo = ll + (mid << 16u);
    hi += (mid >> 16u) + select(0u, 1u, lo < ll);
    let lo_c = lo + c;
    hi += select(0u, 1u, lo_c < lo);
    lo = lo_c + d;
    hi += select(0u, 1u, lo < lo_c);
    return vec2<u32>(lo, hi);
}
