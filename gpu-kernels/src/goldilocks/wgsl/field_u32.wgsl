// Goldilocks field arithmetic (p = 2^64 - 2^32 + 1) with 32-bit integers
// only, for adapters without SHADER_INT64. An element is vec2<u32>
// (low word, high word), kept canonical (< p).

alias Fe = vec2<u32>;

const FE_P: vec2<u32> = vec2<u32>(1u, 0xffffffffu);
const FE_EPS: vec2<u32> = vec2<u32>(0xffffffffu, 0u);

fn fe_load(v: vec2<u32>) -> Fe {
    return v;
}

fn fe_store(a: Fe) -> vec2<u32> {
    return a;
}

fn fe_zero() -> Fe {
    return vec2<u32>(0u, 0u);
}

fn lt64(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y < b.y || (a.y == b.y && a.x < b.x);
}

// 64-bit add: (low, high, carry out).
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec3<u32> {
    let lo = a.x + b.x;
    let c0 = select(0u, 1u, lo < a.x);
    let hi1 = a.y + b.y;
    let c1 = select(0u, 1u, hi1 < a.y);
    let hi = hi1 + c0;
    let c2 = select(0u, 1u, hi < hi1);
    return vec3<u32>(lo, hi, c1 | c2);
}

// 64-bit subtract: (low, high, borrow out).
fn sub64(a: vec2<u32>, b: vec2<u32>) -> vec3<u32> {
    let lo = a.x - b.x;
    let b0 = select(0u, 1u, a.x < b.x);
    let hi1 = a.y - b.y;
    let b1 = select(0u, 1u, a.y < b.y);
    let hi = hi1 - b0;
    let b2 = select(0u, 1u, hi1 < b0);
    return vec3<u32>(lo, hi, b1 | b2);
}

fn fe_add(a: Fe, b: Fe) -> Fe {
    let s = add64(a, b);
    if (s.z == 1u) {
        return add64(s.xy, FE_EPS).xy;
    }
    if (!lt64(s.xy, FE_P)) {
        return sub64(s.xy, FE_P).xy;
    }
    return s.xy;
}

fn fe_sub(a: Fe, b: Fe) -> Fe {
    let d = sub64(a, b);
    if (d.z == 1u) {
        return sub64(d.xy, FE_EPS).xy;
    }
    return d.xy;
}

// 32 x 32 -> 64-bit product as (low, high).
fn mul32(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = p01 + p10;
    let carry_mid = select(0u, 0x10000u, mid < p01);
    let lo = p00 + (mid << 16u);
    let carry_lo = select(0u, 1u, lo < p00);
    let hi = p11 + (mid >> 16u) + carry_mid + carry_lo;
    return vec2<u32>(lo, hi);
}

// Reduces the 128-bit value with 32-bit limbs l0..l3 (least significant first).
fn fe_reduce128(l0: u32, l1: u32, l2: u32, l3: u32) -> Fe {
    let t0 = sub64(vec2<u32>(l0, l1), vec2<u32>(l3, 0u));
    var r0 = t0.xy;
    if (t0.z == 1u) {
        r0 = sub64(r0, FE_EPS).xy;
    }
    // l2 * (2^32 - 1) = l2 * 2^32 - l2, which cannot go negative.
    let t1 = sub64(vec2<u32>(0u, l2), vec2<u32>(l2, 0u)).xy;
    let t2 = add64(r0, t1);
    var r = t2.xy;
    if (t2.z == 1u) {
        r = add64(r, FE_EPS).xy;
    }
    if (!lt64(r, FE_P)) {
        r = sub64(r, FE_P).xy;
    }
    return r;
}

fn fe_mul(a: Fe, b: Fe) -> Fe {
    let m00 = mul32(a.x, b.x);
    let m01 = mul32(a.x, b.y);
    let m10 = mul32(a.y, b.x);
    let m11 = mul32(a.y, b.y);
    let s1a = m00.y + m01.x;
    let c1a = select(0u, 1u, s1a < m00.y);
    let r1 = s1a + m10.x;
    let c1b = select(0u, 1u, r1 < s1a);
    let s2a = m01.y + m10.y;
    let c2a = select(0u, 1u, s2a < m01.y);
    let s2b = s2a + m11.x;
    let c2b = select(0u, 1u, s2b < s2a);
    let r2 = s2b + c1a + c1b;
    let c2c = select(0u, 1u, r2 < s2b);
    let r3 = m11.y + c2a + c2b + c2c;
    return fe_reduce128(m00.x, r1, r2, r3);
}

// Multiplies by a small constant c < 2^32.
fn fe_mul_small(a: Fe, c: u32) -> Fe {
    let lo = mul32(a.x, c);
    let hi = mul32(a.y, c);
    let mid = lo.y + hi.x;
    let carry = select(0u, 1u, mid < lo.y);
    return fe_reduce128(lo.x, mid, hi.y + carry, 0u);
}
