// Goldilocks field arithmetic (p = 2^64 - 2^32 + 1) with 64-bit integers
// (wgpu's SHADER_INT64). Elements are kept canonical (< p). Storage buffers
// hold elements as vec2<u32> (low word, high word) on both paths, so the
// kernels below this prelude are shared with the u32-only path.

alias Fe = u64;

const FE_P: u64 = 0xffffffff00000001lu;
const FE_EPS: u64 = 0xfffffffflu;

fn fe_load(v: vec2<u32>) -> Fe {
    return u64(v.x) | (u64(v.y) << 32u);
}

fn fe_store(a: Fe) -> vec2<u32> {
    return vec2<u32>(u32(a & FE_EPS), u32(a >> 32u));
}

fn fe_zero() -> Fe {
    return 0lu;
}

fn fe_add(a: Fe, b: Fe) -> Fe {
    let s = a + b;
    if (s < a) {
        // 2^64 = 2^32 - 1 (mod p); the result is then below p.
        return s + FE_EPS;
    }
    if (s >= FE_P) {
        return s - FE_P;
    }
    return s;
}

fn fe_sub(a: Fe, b: Fe) -> Fe {
    let d = a - b;
    if (a < b) {
        return d - FE_EPS;
    }
    return d;
}

// Reduces lo + hi * 2^64 using 2^64 = 2^32 - 1 and 2^96 = -1 (mod p).
fn fe_reduce128(lo: u64, hi: u64) -> Fe {
    let hi_hi = hi >> 32u;
    let hi_lo = hi & FE_EPS;
    var t0 = lo - hi_hi;
    if (lo < hi_hi) {
        t0 = t0 - FE_EPS;
    }
    let t1 = hi_lo * FE_EPS;
    var t2 = t0 + t1;
    if (t2 < t1) {
        t2 = t2 + FE_EPS;
    }
    if (t2 >= FE_P) {
        t2 = t2 - FE_P;
    }
    return t2;
}

fn fe_mul(a: Fe, b: Fe) -> Fe {
    let a0 = a & FE_EPS;
    let a1 = a >> 32u;
    let b0 = b & FE_EPS;
    let b1 = b >> 32u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 32u) + (p01 & FE_EPS) + (p10 & FE_EPS);
    let lo = (p00 & FE_EPS) | (mid << 32u);
    let hi = p11 + (p01 >> 32u) + (p10 >> 32u) + (mid >> 32u);
    return fe_reduce128(lo, hi);
}

// Multiplies by a small constant c < 2^32.
fn fe_mul_small(a: Fe, c: u32) -> Fe {
    let cc = u64(c);
    let lo_p = (a & FE_EPS) * cc;
    let hi_p = (a >> 32u) * cc;
    let lo = lo_p + (hi_p << 32u);
    var hi = hi_p >> 32u;
    if (lo < lo_p) {
        hi = hi + 1lu;
    }
    return fe_reduce128(lo, hi);
}
