// Montgomery arithmetic modulo FIELD_MODULUS with R = 2^256, on eight 32-bit
// little-endian limbs. The host substitutes FIELD_ with a prefix (fq_, fr_)
// and the constants. Both BN254 moduli are below 2^254, so the multiplication
// uses the "no carry" CIOS variant and every result is fully reduced.

const FIELD_MODULUS = array<u32, 8>(FIELD_MODULUS_LIMBS);
const FIELD_INV: u32 = FIELD_INV_VALUE;

fn FIELD_is_zero(a: array<u32, 8>) -> bool {
    return (a[0] | a[1] | a[2] | a[3] | a[4] | a[5] | a[6] | a[7]) == 0u;
}

fn FIELD_eq(a: array<u32, 8>, b: array<u32, 8>) -> bool {
    var diff = 0u;
    for (var i = 0u; i < 8u; i++) {
        diff |= a[i] ^ b[i];
    }
    return diff == 0u;
}

// a - m if a >= m, else a (for a < 2m).
fn FIELD_reduce_once(a: array<u32, 8>) -> array<u32, 8> {
    let m = FIELD_MODULUS;
    var d: array<u32, 8>;
    var borrow = 0u;
    for (var i = 0u; i < 8u; i++) {
        let t = a[i] - m[i];
        let b1 = select(0u, 1u, a[i] < m[i]);
        d[i] = t - borrow;
        borrow = b1 | select(0u, 1u, t < borrow);
    }
    if borrow == 0u {
        return d;
    }
    return a;
}

fn FIELD_add(a: array<u32, 8>, b: array<u32, 8>) -> array<u32, 8> {
    var s: array<u32, 8>;
    var carry = 0u;
    for (var i = 0u; i < 8u; i++) {
        let t = a[i] + b[i];
        let c1 = select(0u, 1u, t < a[i]);
        s[i] = t + carry;
        carry = c1 | select(0u, 1u, s[i] < t);
    }
    return FIELD_reduce_once(s);
}

fn FIELD_sub(a: array<u32, 8>, b: array<u32, 8>) -> array<u32, 8> {
    var d: array<u32, 8>;
    var borrow = 0u;
    for (var i = 0u; i < 8u; i++) {
        let t = a[i] - b[i];
        let b1 = select(0u, 1u, a[i] < b[i]);
        d[i] = t - borrow;
        borrow = b1 | select(0u, 1u, t < borrow);
    }
    if borrow != 0u {
        let m = FIELD_MODULUS;
        var carry = 0u;
        for (var i = 0u; i < 8u; i++) {
            let t = d[i] + m[i];
            let c1 = select(0u, 1u, t < d[i]);
            d[i] = t + carry;
            carry = c1 | select(0u, 1u, d[i] < t);
        }
    }
    return d;
}

fn FIELD_neg(a: array<u32, 8>) -> array<u32, 8> {
    if FIELD_is_zero(a) {
        return a;
    }
    return FIELD_sub(FIELD_MODULUS, a);
}

fn FIELD_double(a: array<u32, 8>) -> array<u32, 8> {
    return FIELD_add(a, a);
}

// a * b * 2^-256 mod m.
fn FIELD_mul(a: array<u32, 8>, b: array<u32, 8>) -> array<u32, 8> {
    let m = FIELD_MODULUS;
    var t: array<u32, 8>;
    for (var i = 0u; i < 8u; i++) {
        let bi = b[i];
        var r = mac(a[0], bi, t[0], 0u);
        var hi_a = r.y;
        let q = r.x * FIELD_INV;
        r = mac(q, m[0], r.x, 0u);
        var hi_m = r.y;
        for (var j = 1u; j < 8u; j++) {
            r = mac(a[j], bi, t[j], hi_a);
            hi_a = r.y;
            r = mac(q, m[j], r.x, hi_m);
            hi_m = r.y;
            t[j - 1u] = r.x;
        }
        t[7] = hi_a + hi_m;
    }
    return FIELD_reduce_once(t);
}

fn FIELD_square(a: array<u32, 8>) -> array<u32, 8> {
    return FIELD_mul(a, a);
}
