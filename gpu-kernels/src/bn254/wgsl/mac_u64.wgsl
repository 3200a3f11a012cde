// a * b + c + d as (low word, high word), using the adapter's 64-bit integers.
// The sum never overflows: (2^32 - 1)^2 + 2 (2^32 - 1) = 2^64 - 1.
fn mac(a: u32, b: u32, c: u32, d: u32) -> vec2<u32> {
    let p = u64(a) * u64(b) + u64(c) + u64(d);
    return vec2<u32>(u32(p & 0xfffffffflu), u32(p >> 32u));
}
