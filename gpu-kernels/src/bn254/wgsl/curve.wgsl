// BN254 G1 (y^2 = x^3 + 3 over Fq) in extended Jacobian "XYZZ" coordinates:
// x = X / ZZ, y = Y / ZZZ with ZZ^3 = ZZZ^2; ZZ = 0 is the point at infinity.
// Field elements are in Montgomery form. Formulas: add-2008-s, madd-2008-s and
// dbl-2008-s-1 (Explicit-Formulas Database), with the exceptional cases
// (infinity, P = Q, P = -Q) handled explicitly.

struct Affine {
    x: array<u32, 8>,
    y: array<u32, 8>,
}

struct Xyzz {
    x: array<u32, 8>,
    y: array<u32, 8>,
    zz: array<u32, 8>,
    zzz: array<u32, 8>,
}

// Montgomery form of 1 in Fq.
const FQ_ONE = array<u32, 8>(FQ_ONE_LIMBS);

fn xyzz_identity() -> Xyzz {
    var p: Xyzz;
    return p;
}

fn xyzz_is_identity(p: Xyzz) -> bool {
    return fq_is_zero(p.zz);
}

// halo2curves stores the affine identity as (0, 0), which is not on the curve.
fn affine_is_identity(a: Affine) -> bool {
    return fq_is_zero(a.x) && fq_is_zero(a.y);
}

fn xyzz_from_affine(a: Affine) -> Xyzz {
    if affine_is_identity(a) {
        return xyzz_identity();
    }
    return Xyzz(a.x, a.y, FQ_ONE, FQ_ONE);
}

fn affine_neg(a: Affine) -> Affine {
    return Affine(a.x, fq_neg(a.y));
}

// p + q, also when p = q (doubling) or p = -q. Addition and doubling share
// their second half: with U1, S1, P, R (and ZZ2 = ZZZ2 = 1 when doubling)
//   X3 = R^2 - PPP - 2Q, Y3 = R (Q - X3) - S1 PPP,
//   ZZ3 = ZZ1 ZZ2 PP, ZZZ3 = ZZZ1 ZZZ2 PPP, PP = P^2, PPP = P PP, Q = U1 PP,
// where doubling uses U1 = X1, S1 = Y1, P = 2 Y1, R = 3 X1^2 and drops the
// PPP term of X3. Writing it once keeps every kernel to a single inlined
// copy of the formulas (drivers inline every call, and compile time grows
// quickly with code size). `q_affine` says q has ZZ = ZZZ = 1, which saves
// four multiplications (mixed addition).
fn xyzz_add(p: Xyzz, q: Xyzz, q_affine: bool) -> Xyzz {
    if xyzz_is_identity(p) {
        return q;
    }
    if xyzz_is_identity(q) {
        return p;
    }
    var u1 = p.x;
    var s1 = p.y;
    if !q_affine {
        u1 = fq_mul(p.x, q.zz);
        s1 = fq_mul(p.y, q.zzz);
    }
    let u2 = fq_mul(q.x, p.zz);
    let s2 = fq_mul(q.y, p.zzz);
    var pd = fq_sub(u2, u1);
    var r = fq_sub(s2, s1);
    var doubling = false;
    if fq_is_zero(pd) {
        if !fq_is_zero(r) {
            return xyzz_identity();
        }
        doubling = true;
        u1 = p.x;
        s1 = p.y;
        pd = fq_double(p.y);
        let x2 = fq_square(p.x);
        r = fq_add(fq_double(x2), x2);
    }
    let pp = fq_square(pd);
    let ppp = fq_mul(pd, pp);
    let qq = fq_mul(u1, pp);
    var x3 = fq_sub(fq_sub(fq_square(r), qq), qq);
    if !doubling {
        x3 = fq_sub(x3, ppp);
    }
    let y3 = fq_sub(fq_mul(r, fq_sub(qq, x3)), fq_mul(s1, ppp));
    var zz3 = fq_mul(p.zz, pp);
    var zzz3 = fq_mul(p.zzz, ppp);
    if !(q_affine || doubling) {
        zz3 = fq_mul(zz3, q.zz);
        zzz3 = fq_mul(zzz3, q.zzz);
    }
    return Xyzz(x3, y3, zz3, zzz3);
}
