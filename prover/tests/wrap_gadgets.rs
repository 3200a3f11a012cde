//! The halo2 wrap gadgets against their native counterparts, under halo2's
//! MockProver, each with a negative twin (a wrong witness is rejected).

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::{RangeChip, RangeInstructions};
use halo2_base::{AssignedValue, Context};
use halo2_proofs::dev::MockProver;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField};
use halo2_proofs::plonk::Assigned;
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::extension::FieldExtension;
use plonky2::field::goldilocks_field::GoldilocksField as F;
use plonky2::field::types::{Field, PrimeField64, Sample};
use plonky2::gates::arithmetic_base::ArithmeticGate;
use plonky2::gates::arithmetic_extension::ArithmeticExtensionGate;
use plonky2::gates::base_sum::BaseSumGate;
use plonky2::gates::constant::ConstantGate;
use plonky2::gates::coset_interpolation::CosetInterpolationGate;
use plonky2::gates::exponentiation::ExponentiationGate;
use plonky2::gates::gate::GateRef;
use plonky2::gates::multiplication_extension::MulExtensionGate;
use plonky2::gates::noop::NoopGate;
use plonky2::gates::poseidon::PoseidonGate;
use plonky2::gates::poseidon_mds::PoseidonMdsGate;
use plonky2::gates::public_input::PublicInputGate;
use plonky2::gates::random_access::RandomAccessGate;
use plonky2::gates::reducing::ReducingGate;
use plonky2::gates::reducing_extension::ReducingExtensionGate;
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::merkle_tree::MerkleTree;
use plonky2::iop::challenger::Challenger;
use plonky2::plonk::circuit_data::CircuitConfig;
use plonky2::plonk::config::{GenericHashOut, Hasher};
use plonky2::plonk::vars::EvaluationVars;
use prover::wrap::gadgets::challenger::ChallengerGadget;
use prover::wrap::gadgets::gates::{GateChip, GateVars};
use prover::wrap::gadgets::goldilocks::{AssignedGoldilocks, GoldilocksChip, P};
use prover::wrap::gadgets::merkle::MerkleChip;
use prover::wrap::gadgets::poseidon::PoseidonBn254Chip;
use prover::wrap::instances::{expose, AssignedWord, WrapInstances, NUM_INSTANCES};
use prover::wrap::poseidon_bn254::{
    limbs, pack, permute_fr, permute_gl, unpack, Bn254HashOut, PoseidonBn254Hash, WIDTH_GL,
};
use rand_core::OsRng;

type Ext = QuadraticExtension<F>;

const LOOKUP_BITS: usize = 12;

/// Builds a circuit with `build` and runs MockProver on it; `Ok` iff every
/// constraint holds.
fn mock(k: u32, build: impl FnOnce(&mut Context<Fr>, &RangeChip<Fr>)) -> Result<(), String> {
    let mut builder = BaseCircuitBuilder::<Fr>::new(false)
        .use_k(k as usize)
        .use_lookup_bits(LOOKUP_BITS);
    let range = builder.range_chip();
    build(builder.main(0), &range);
    builder.calculate_params(Some(9));
    let prover = MockProver::run(k, &builder, vec![]).map_err(|e| format!("synthesis: {e:?}"))?;
    prover
        .verify()
        .map_err(|errors| format!("{} failures, first: {:?}", errors.len(), errors.first()))
}

/// Overwrites the witness in `cell` (a prover cheating on one value).
fn corrupt(ctx: &mut Context<Fr>, cell: AssignedValue<Fr>, value: Fr) {
    let offset = cell.cell.expect("an advice cell").offset;
    ctx.advice[offset] = Assigned::Trivial(value);
}

fn gl_fr(x: F) -> Fr {
    Fr::from(x.to_canonical_u64())
}

fn sample_elements() -> Vec<F> {
    let mut v = vec![
        F::ZERO,
        F::ONE,
        F::NEG_ONE,
        F::from_canonical_u64(P - 2),
        F::from_canonical_u64(1 << 32),
    ];
    v.extend((0..4).map(|_| F::rand()));
    v
}

#[test]
fn goldilocks_arithmetic_matches_native() {
    let xs = sample_elements();
    let result = mock(14, |ctx, range| {
        let gl = GoldilocksChip::new(range);
        for &a in &xs {
            for &b in &xs {
                let (ca, cb) = (gl.load_witness(ctx, a), gl.load_witness(ctx, b));
                let c = a + F::from_canonical_u64(0x5555);
                let cc = gl.load_witness(ctx, c);
                let checks = [
                    (gl.add(ctx, ca, cb), a + b),
                    (gl.sub(ctx, ca, cb), a - b),
                    (gl.mul(ctx, ca, cb), a * b),
                    (gl.mul_add(ctx, ca, cb, cc), a * b + c),
                    (gl.neg(ctx, ca), -a),
                ];
                for (got, want) in checks {
                    assert_eq!(got.value(), want);
                    let expected = gl.load_constant(ctx, want);
                    gl.assert_equal(ctx, got, expected);
                }
            }
        }
    });
    assert_eq!(result, Ok(()));
}

#[test]
fn goldilocks_range_check_accepts_p_minus_one_and_rejects_p_and_above() {
    let check = |v: u128| {
        mock(13, |ctx, range| {
            let x = ctx.load_witness(Fr::from_u128(v));
            GoldilocksChip::new(range).assert_canonical(ctx, x);
        })
    };
    assert_eq!(check(0), Ok(()));
    assert_eq!(check(u128::from(P) - 1), Ok(()));
    for bad in [u128::from(P), u128::from(P) + 1, 1 << 64, u128::MAX >> 1] {
        assert!(check(bad).is_err(), "{bad} accepted as a Goldilocks element");
    }
}

#[test]
fn goldilocks_wrong_witnesses_are_rejected() {
    let (a, b) = (F::rand(), F::rand());
    // A wrong product.
    let result = mock(13, |ctx, range| {
        let gl = GoldilocksChip::new(range);
        let (ca, cb) = (gl.load_witness(ctx, a), gl.load_witness(ctx, b));
        let prod = gl.mul(ctx, ca, cb);
        corrupt(ctx, prod.cell(), gl_fr(a * b + F::ONE));
    });
    assert!(result.is_err());
    // A non-canonical remainder with a matching quotient: x = (q - 1)·p + (r + p).
    let honest_and_cheat = |cheat: bool| {
        mock(13, |ctx, range| {
            let gl = GoldilocksChip::new(range);
            let x = ctx.load_witness(Fr::from_u128(3 * u128::from(P) + 5));
            let (q, r) = if cheat { (2, u128::from(P) + 5) } else { (3, 5) };
            let reduced = gl.reduce_with_witness(ctx, x, 66, Fr::from(q), Fr::from_u128(r));
            assert_eq!(reduced.cell().value(), &Fr::from_u128(r));
        })
    };
    assert_eq!(honest_and_cheat(false), Ok(()));
    assert!(honest_and_cheat(true).is_err());
}

#[test]
fn extension_arithmetic_matches_native() {
    let samples: Vec<Ext> = vec![
        Ext::ZERO,
        Ext::ONE,
        Ext::from_basefield_array([F::NEG_ONE, F::NEG_ONE]),
        Ext::rand(),
        Ext::rand(),
    ];
    let s = F::rand();
    let result = mock(14, |ctx, range| {
        let gl = GoldilocksChip::new(range);
        let cs = gl.load_witness(ctx, s);
        for &a in &samples {
            for &b in &samples {
                let (ca, cb) = (gl.load_ext_witness(ctx, a), gl.load_ext_witness(ctx, b));
                let checks = [
                    (gl.ext_add(ctx, ca, cb), a + b),
                    (gl.ext_sub(ctx, ca, cb), a - b),
                    (gl.ext_mul(ctx, ca, cb), a * b),
                    (
                        gl.ext_scalar_mul(ctx, cs, ca),
                        <Ext as FieldExtension<2>>::from_basefield(s) * a,
                    ),
                ];
                for (got, want) in checks {
                    assert_eq!(got.value(), want);
                    let expected = gl.load_ext_constant(ctx, want);
                    gl.ext_assert_equal(ctx, got, expected);
                }
            }
        }
    });
    assert_eq!(result, Ok(()));
}

#[test]
fn extension_wrong_product_is_rejected() {
    let (a, b) = (Ext::rand(), Ext::rand());
    let result = mock(13, |ctx, range| {
        let gl = GoldilocksChip::new(range);
        let (ca, cb) = (gl.load_ext_witness(ctx, a), gl.load_ext_witness(ctx, b));
        let prod = gl.ext_mul(ctx, ca, cb);
        // Claim the product without the W·a1·b1 term.
        let [a0, _] = a.to_basefield_array();
        let [b0, _] = b.to_basefield_array();
        corrupt(ctx, prod.0[0].cell(), gl_fr(a0 * b0));
    });
    assert!(result.is_err());
}

fn random_state() -> [Fr; 3] {
    [Fr::random(OsRng), Fr::random(OsRng), Fr::random(OsRng)]
}

#[test]
fn permutation_gadget_matches_native_and_rejects_a_wrong_output() {
    let states = [[Fr::ZERO; 3], [-Fr::ONE; 3], random_state()];
    let run = |cheat: bool| {
        mock(14, |ctx, range| {
            let chip = PoseidonBn254Chip::new(GoldilocksChip::new(range));
            for state in states {
                let mut native = state;
                permute_fr(&mut native);
                let assigned = state.map(|x| ctx.load_witness(x));
                let before = ctx.advice.len();
                let out = chip.permute(ctx, assigned);
                eprintln!("advice cells per permutation: {}", ctx.advice.len() - before);
                assert_eq!(out.map(|x| *x.value()), native);
                let mut claimed = native;
                if cheat {
                    // The prover claims another output and binds it consistently:
                    // only the permutation's own constraints can catch it.
                    claimed[2] += Fr::ONE;
                    corrupt(ctx, out[2], claimed[2]);
                }
                for (o, n) in out.iter().zip(claimed) {
                    let expected = ctx.load_constant(n);
                    ctx.constrain_equal(o, &expected);
                }
            }
        })
    };
    assert_eq!(run(false), Ok(()));
    assert!(run(true).is_err());
}

#[test]
fn pack_unpack_match_native_and_reject_a_non_canonical_decomposition() {
    let mut values = vec![Fr::ZERO, Fr::ONE, -Fr::ONE, pack(&[F::NEG_ONE, F::NEG_ONE, F::NEG_ONE])];
    // Limbs at or above p reduce.
    values.push(Fr::from_u128(u128::MAX));
    values.extend((0..3).map(|_| Fr::random(OsRng)));
    let result = mock(14, |ctx, range| {
        let gl = GoldilocksChip::new(range);
        let chip = PoseidonBn254Chip::new(gl.clone());
        for &x in &values {
            let cx = ctx.load_witness(x);
            let before = (ctx.advice.len(), range.lookup_bits());
            let got = chip.unpack(ctx, cx);
            eprintln!(
                "advice cells per unpack: {} (lookup bits {})",
                ctx.advice.len() - before.0,
                before.1
            );
            assert_eq!(got.map(|g| g.value()), unpack(x));
            let view = chip.digest_to_goldilocks(ctx, cx);
            let native_view = Bn254HashOut::from_fr(x).to_vec();
            assert_eq!(view.map(|g| g.value()).to_vec(), native_view);
        }
        let elems: Vec<AssignedGoldilocks> = [F::NEG_ONE, F::ONE, F::rand()]
            .iter()
            .map(|&g| gl.load_witness(ctx, g))
            .collect();
        let native: Vec<F> = elems.iter().map(|g| g.value()).collect();
        for n in 0..=3 {
            let packed = chip.pack(ctx, &elems[..n]);
            assert_eq!(*packed.value(), pack(&native[..n]));
        }
    });
    assert_eq!(result, Ok(()));

    // x = 5 also "decomposes" as 5 + r (which fits under 2^254): rejected.
    let decompose = |cheat: bool| {
        mock(13, |ctx, range| {
            let chip = PoseidonBn254Chip::new(GoldilocksChip::new(range));
            let x = Fr::from(5);
            let claimed = if cheat {
                let r = limbs(-Fr::ONE);
                let (l0, carry) = r[0].overflowing_add(6);
                let (l1, carry) = r[1].overflowing_add(u64::from(carry));
                let (l2, carry) = r[2].overflowing_add(u64::from(carry));
                [l0, l1, l2, r[3] + u64::from(carry)]
            } else {
                limbs(x)
            };
            let cx = ctx.load_witness(x);
            chip.limbs_with_witness(ctx, cx, claimed);
        })
    };
    assert_eq!(decompose(false), Ok(()));
    assert!(decompose(true).is_err());
}

#[test]
fn hash_gadgets_match_native_and_reject_a_wrong_digest() {
    let inputs: Vec<Vec<F>> = [0usize, 2, 3, 4, 6, 7, 13].iter().map(|&n| F::rand_vec(n)).collect();
    let (left, right) = (
        PoseidonBn254Hash::hash_no_pad(&F::rand_vec(5)),
        PoseidonBn254Hash::hash_no_pad(&F::rand_vec(8)),
    );
    let state: [F; WIDTH_GL] = F::rand_array();
    let run = |cheat: bool| {
        mock(15, |ctx, range| {
            let gl = GoldilocksChip::new(range);
            let chip = PoseidonBn254Chip::new(gl.clone());
            for input in &inputs {
                let assigned: Vec<AssignedGoldilocks> = input.iter().map(|&g| gl.load_witness(ctx, g)).collect();
                let d = chip.hash_no_pad(ctx, &assigned);
                assert_eq!(*d.value(), PoseidonBn254Hash::hash_no_pad(input).to_fr());
                let d = chip.hash_or_noop(ctx, &assigned);
                assert_eq!(*d.value(), PoseidonBn254Hash::hash_or_noop(input).to_fr());
            }
            let (l, r) = (ctx.load_witness(left.to_fr()), ctx.load_witness(right.to_fr()));
            let d = chip.two_to_one(ctx, l, r);
            let native = PoseidonBn254Hash::two_to_one(left, right).to_fr();
            assert_eq!(*d.value(), native);
            // A cheating prover claims another digest, bound consistently.
            let claimed = if cheat { native + Fr::ONE } else { native };
            if cheat {
                corrupt(ctx, d, claimed);
            }
            let expected = ctx.load_constant(claimed);
            ctx.constrain_equal(&d, &expected);

            let assigned: [AssignedGoldilocks; WIDTH_GL] = state.map(|g| gl.load_witness(ctx, g));
            let out = chip.permute_goldilocks(ctx, &assigned);
            assert_eq!(out.map(|g| g.value()), permute_gl(&state));
        })
    };
    assert_eq!(run(false), Ok(()));
    assert!(run(true).is_err());
}

#[test]
fn merkle_path_gadget_accepts_plonky2_paths_and_rejects_tampering() {
    let leaves: Vec<Vec<F>> = (0..16).map(|_| F::rand_vec(7)).collect();
    let tree = MerkleTree::<F, PoseidonBn254Hash>::new(leaves.clone(), 1);
    let index = 11;
    let proof = tree.prove(index);
    let run = |flip_sibling: bool, claimed_index: usize| {
        mock(15, |ctx, range| {
            let gl = GoldilocksChip::new(range);
            let merkle = MerkleChip::new(PoseidonBn254Chip::new(gl.clone()));
            let leaf: Vec<AssignedGoldilocks> = leaves[index].iter().map(|&g| gl.load_witness(ctx, g)).collect();
            let mut siblings = merkle.load_proof(ctx, &proof);
            if flip_sibling {
                siblings[1] = ctx.load_witness(*siblings[1].value() + Fr::ONE);
            }
            let cap = merkle.load_cap(ctx, &tree.cap);
            let idx = ctx.load_witness(Fr::from(claimed_index as u64));
            merkle.verify_merkle_proof_to_cap(ctx, &leaf, idx, &siblings, &cap);
        })
    };
    assert_eq!(run(false, index), Ok(()));
    assert!(run(true, index).is_err(), "a flipped sibling was accepted");
    assert!(run(false, index ^ 1).is_err(), "a wrong leaf index was accepted");
    assert!(run(false, index ^ 8).is_err(), "a wrong cap index was accepted");
}

#[test]
fn challenger_gadget_replays_plonky2_transcript_and_rejects_a_wrong_challenge() {
    let tree = MerkleTree::<F, PoseidonBn254Hash>::new((0..8).map(|_| F::rand_vec(4)).collect(), 1);
    let (first, second) = (F::rand_vec(7), F::rand_vec(3));
    let mut native = Challenger::<F, PoseidonBn254Hash>::new();
    native.observe_cap(&tree.cap);
    native.observe_elements(&first);
    let mut expected = native.get_n_challenges(3);
    native.observe_elements(&second);
    let ext: Ext = native.get_extension_challenge::<2>();
    expected.extend(<Ext as FieldExtension<2>>::to_basefield_array(&ext));
    expected.extend(native.get_n_challenges(6));

    let run = |cheat: bool| {
        mock(15, |ctx, range| {
            let gl = GoldilocksChip::new(range);
            let chip = PoseidonBn254Chip::new(gl.clone());
            let merkle = MerkleChip::new(chip.clone());
            let mut transcript = ChallengerGadget::new(ctx, &chip);
            let cap = merkle.load_cap(ctx, &tree.cap);
            transcript.observe_cap(ctx, &chip, &cap);
            let first: Vec<AssignedGoldilocks> = first.iter().map(|&g| gl.load_witness(ctx, g)).collect();
            transcript.observe_elements(ctx, &chip, &first);
            let mut got = transcript.get_n_challenges(ctx, &chip, 3);
            let second: Vec<AssignedGoldilocks> = second.iter().map(|&g| gl.load_witness(ctx, g)).collect();
            transcript.observe_elements(ctx, &chip, &second);
            got.extend(transcript.get_extension_challenge(ctx, &chip).0);
            got.extend(transcript.get_n_challenges(ctx, &chip, 6));
            assert_eq!(got.iter().map(|g| g.value()).collect::<Vec<_>>(), expected);
            let mut claimed = expected.clone();
            if cheat {
                // The prover claims another first challenge, bound consistently.
                claimed[0] += F::ONE;
                corrupt(ctx, got[0].cell(), gl_fr(claimed[0]));
            }
            for (g, c) in got.iter().zip(&claimed) {
                let c = gl.load_constant(ctx, *c);
                gl.assert_equal(ctx, *g, c);
            }
        })
    };
    assert_eq!(run(false), Ok(()));
    assert!(run(true).is_err());
}

/// Runs MockProver on the public-input layer with limbs from `load` and the
/// expected instance column of `statement`.
fn mock_public_inputs(
    statement: &WrapInstances,
    load: impl FnOnce(&mut Context<Fr>) -> [AssignedWord; 3],
) -> Result<(), String> {
    let k = 10;
    let mut builder = BaseCircuitBuilder::<Fr>::new(false)
        .use_k(k)
        .use_lookup_bits(8)
        .use_instance_columns(1);
    let range = builder.range_chip();
    let ctx = builder.main(0);
    let [old_root, new_root, data_hash] = load(ctx);
    let chain_id = ctx.load_witness(Fr::from(statement.chain_id));
    let cells = expose(ctx, &range, &old_root, &new_root, &data_hash, chain_id);
    builder.assigned_instances[0].extend(cells);
    builder.calculate_params(Some(9));
    let prover = MockProver::run(k as u32, &builder, vec![statement.to_scalars()]).map_err(|e| format!("{e:?}"))?;
    prover
        .verify()
        .map_err(|errors| format!("{} failures, first: {:?}", errors.len(), errors.first()))
}

#[test]
fn public_inputs_compose_words_into_the_instance_layout() {
    let word = |seed: u8| std::array::from_fn::<u8, 32, _>(|i| seed.wrapping_add(i as u8).wrapping_mul(37));
    let statement = WrapInstances {
        old_root: word(1),
        new_root: [0xff; 32],
        data_hash: word(9),
        chain_id: u64::MAX,
    };
    // The layout itself: big-endian halves, then the chain id.
    let scalars = statement.to_scalars();
    assert_eq!(scalars.len(), NUM_INSTANCES);
    let top = u128::from_be_bytes(statement.old_root[..16].try_into().unwrap());
    assert_eq!(scalars[0], Fr::from_u128(top));
    assert_eq!(scalars[3], Fr::from_u128(u128::MAX));
    assert_eq!(scalars[6], Fr::from(u64::MAX));

    let honest = |ctx: &mut Context<Fr>| {
        [
            AssignedWord::load_witness(ctx, &statement.old_root, 64),
            AssignedWord::load_witness(ctx, &statement.new_root, 64),
            AssignedWord::load_witness(ctx, &statement.data_hash, 32),
        ]
    };
    mock_public_inputs(&statement, honest).expect("the honest limbs prove the statement");

    // Another statement's instances are rejected.
    let mut other = statement;
    other.data_hash[31] ^= 1;
    assert!(
        mock_public_inputs(&other, honest).is_err(),
        "instances must match the limbs"
    );

    // Limbs that compose to the right halves but are not a decomposition
    // (one limb borrows 2^64 from its neighbour) fail the range check.
    let forged = |ctx: &mut Context<Fr>| {
        let [old_root, new_root, data_hash] = honest(ctx);
        let (hi, lo) = (old_root.limbs[0].value(), old_root.limbs[1].value());
        let limbs = vec![
            ctx.load_witness(*hi - Fr::one()),
            ctx.load_witness(*lo + Fr::from_u128(1 << 64)),
            old_root.limbs[2],
            old_root.limbs[3],
        ];
        [AssignedWord { limbs, limb_bits: 64 }, new_root, data_hash]
    };
    let err = mock_public_inputs(&statement, forged).expect_err("a borrowed limb is out of range");
    assert!(err.contains("failures"), "{err}");
}

/// The gates of plonky2's standard recursion configuration that the final
/// layer uses, with the parameters it picks, and the coset-interpolation
/// gate of recursive FRI folding.
fn recursion_gates() -> Vec<GateRef<F, 2>> {
    let config = CircuitConfig::standard_recursion_config();
    vec![
        GateRef::new(NoopGate),
        GateRef::new(ConstantGate::new(2)),
        GateRef::new(PublicInputGate),
        GateRef::new(ArithmeticGate::new_from_config(&config)),
        GateRef::new(ArithmeticExtensionGate::<2>::new_from_config(&config)),
        GateRef::new(MulExtensionGate::<2>::new_from_config(&config)),
        GateRef::new(BaseSumGate::<2>::new(63)),
        GateRef::new(ReducingGate::<2>::new(43)),
        GateRef::new(ReducingExtensionGate::<2>::new(32)),
        GateRef::new(RandomAccessGate::<F, 2>::new_from_config(&config, 4)),
        GateRef::new(PoseidonMdsGate::<F, 2>::new()),
        GateRef::new(PoseidonGate::<F, 2>::new()),
        GateRef::new(CosetInterpolationGate::<F, 2>::new(4)),
        // As a recursive verifier with a degree-8 quotient builds it: two
        // intermediate (value, product) pairs.
        GateRef::new({
            let mut gate = CosetInterpolationGate::<F, 2>::new(4);
            gate.degree = 6;
            gate
        }),
    ]
}

#[test]
fn gate_constraints_match_plonky2_at_a_random_point() {
    let config = CircuitConfig::standard_recursion_config();
    let constants: Vec<Ext> = (0..4).map(|_| Ext::rand()).collect();
    let wires: Vec<Ext> = (0..config.num_wires).map(|_| Ext::rand()).collect();
    let pi_hash = HashOut::<F>::rand();
    let gates = recursion_gates();
    let expected: Vec<Vec<Ext>> = gates
        .iter()
        .map(|g| {
            g.0.eval_unfiltered(EvaluationVars {
                local_constants: &constants,
                local_wires: &wires,
                public_inputs_hash: &pi_hash,
            })
        })
        .collect();
    let run = |cheat: bool| {
        mock(17, |ctx, range| {
            let gl = GoldilocksChip::new(range);
            let chip = GateChip::new(gl.clone());
            let constants: Vec<_> = constants.iter().map(|&c| gl.load_ext_witness(ctx, c)).collect();
            let wires: Vec<_> = wires.iter().map(|&w| gl.load_ext_witness(ctx, w)).collect();
            let hash = pi_hash.elements.map(|e| gl.load_witness(ctx, e));
            let vars = GateVars {
                constants: &constants,
                wires: &wires,
                public_inputs_hash: &hash,
            };
            for (gate, expected) in gates.iter().zip(&expected) {
                let got = chip.eval_unfiltered(ctx, gate, &vars).expect("a supported gate");
                assert_eq!(got.len(), expected.len(), "{}", gate.0.id());
                for (g, e) in got.iter().zip(expected) {
                    assert_eq!(g.value(), *e, "{}", gate.0.id());
                    let e = gl.load_ext_constant(ctx, *e);
                    gl.ext_assert_equal(ctx, *g, e);
                }
            }
            if cheat {
                // A prover claiming another value for the first arithmetic constraint.
                let got = chip.eval_unfiltered(ctx, &gates[3], &vars).unwrap();
                let claimed = got[0].value() + Ext::ONE;
                corrupt(
                    ctx,
                    got[0].0[0].cell(),
                    gl_fr(<Ext as FieldExtension<2>>::to_basefield_array(&claimed)[0]),
                );
                let claimed = gl.load_ext_constant(ctx, claimed);
                gl.ext_assert_equal(ctx, got[0], claimed);
            }
        })
    };
    assert_eq!(run(false), Ok(()));
    assert!(run(true).is_err(), "a wrong constraint value was accepted");

    // A gate the wrap does not know is named in the error.
    let unknown = GateRef::<F, 2>::new(ExponentiationGate::<F, 2>::new_from_config(&config));
    let err = mock(10, |ctx, range| {
        let gl = GoldilocksChip::new(range);
        let zero = gl.load_ext_constant(ctx, Ext::ZERO);
        let hash = [gl.load_constant(ctx, F::ZERO); 4];
        let wires = vec![zero; config.num_wires];
        let vars = GateVars {
            constants: &[zero; 4],
            wires: &wires,
            public_inputs_hash: &hash,
        };
        let err = GateChip::new(gl.clone())
            .eval_unfiltered(ctx, &unknown, &vars)
            .unwrap_err();
        assert!(err.to_string().contains("ExponentiationGate"), "{err}");
    });
    assert_eq!(err, Ok(()));
}
