//! The Backend seam: a starky proof whose trace commitment the GPU backend
//! built verifies with unmodified starky, and equals the CPU-built proof
//! byte for byte; corrupted proofs are rejected; backend selection falls
//! back to the CPU when no adapter exists.

use gpu_kernels::{GpuContext, GpuOptions};
use plonky2::field::extension::{Extendable, FieldExtension};
use plonky2::field::packed::PackedField;
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::{Field, Sample};
use plonky2::hash::hash_types::RichField;
use plonky2::iop::challenger::Challenger;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::util::timing::TimingTree;
use prover::backend::{select_backend_with, Backend, BackendError, BackendPreference, CpuBackend, GpuBackend, C, D, F};
use starky::config::StarkConfig;
use starky::constraint_consumer::{ConstraintConsumer, RecursiveConstraintConsumer};
use starky::evaluation_frame::{StarkEvaluationFrame, StarkFrame};
use starky::proof::StarkProofWithPublicInputs;
use starky::prover::prove_with_commitment;
use starky::stark::Stark;
use starky::util::trace_rows_to_poly_values;
use starky::verifier::verify_stark_proof;
use std::marker::PhantomData;
use std::sync::Arc;

/// Sum of squares: columns (i, acc); acc starts at a public value, each row
/// adds i^2 and increments i; the last acc is public.
#[derive(Clone, Copy)]
struct SquareSumStark<F> {
    _field: PhantomData<F>,
}

const COLUMNS: usize = 2;
const PUBLIC_INPUTS: usize = 2;

impl<F: RichField + Extendable<D>, const D: usize> Stark<F, D> for SquareSumStark<F> {
    type EvaluationFrame<FE, P, const D2: usize>
        = StarkFrame<P, P::Scalar, COLUMNS, PUBLIC_INPUTS>
    where
        FE: FieldExtension<D2, BaseField = F>,
        P: PackedField<Scalar = FE>;
    type EvaluationFrameTarget = StarkFrame<ExtensionTarget<D>, ExtensionTarget<D>, COLUMNS, PUBLIC_INPUTS>;

    fn eval_packed_generic<FE, P, const D2: usize>(
        &self,
        vars: &Self::EvaluationFrame<FE, P, D2>,
        yield_constr: &mut ConstraintConsumer<P>,
    ) where
        FE: FieldExtension<D2, BaseField = F>,
        P: PackedField<Scalar = FE>,
    {
        let (local, next, pis) = (
            vars.get_local_values(),
            vars.get_next_values(),
            vars.get_public_inputs(),
        );
        yield_constr.constraint_first_row(local[0]);
        yield_constr.constraint_first_row(local[1] - pis[0]);
        yield_constr.constraint_transition(next[0] - local[0] - P::ONES);
        yield_constr.constraint_transition(next[1] - local[1] - local[0] * local[0]);
        yield_constr.constraint_last_row(local[1] - pis[1]);
    }

    fn eval_ext_circuit(
        &self,
        builder: &mut CircuitBuilder<F, D>,
        vars: &Self::EvaluationFrameTarget,
        yield_constr: &mut RecursiveConstraintConsumer<F, D>,
    ) {
        let (local, next, pis) = (
            vars.get_local_values(),
            vars.get_next_values(),
            vars.get_public_inputs(),
        );
        yield_constr.constraint_first_row(builder, local[0]);
        let c = builder.sub_extension(local[1], pis[0]);
        yield_constr.constraint_first_row(builder, c);
        let one = builder.one_extension();
        let step = builder.sub_extension(next[0], local[0]);
        let c = builder.sub_extension(step, one);
        yield_constr.constraint_transition(builder, c);
        let grow = builder.sub_extension(next[1], local[1]);
        let c = builder.arithmetic_extension(F::NEG_ONE, F::ONE, local[0], local[0], grow);
        yield_constr.constraint_transition(builder, c);
        let c = builder.sub_extension(local[1], pis[1]);
        yield_constr.constraint_last_row(builder, c);
    }

    fn constraint_degree(&self) -> usize {
        2
    }
}

fn trace(rows: usize, start: F) -> (Vec<PolynomialValues<F>>, [F; 2]) {
    let mut acc = start;
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let x = F::from_canonical_usize(i);
        out.push([x, acc]);
        if i + 1 < rows {
            acc += x * x;
        }
    }
    (trace_rows_to_poly_values(out), [start, acc])
}

/// Proves with the trace committed by `backend`, as `starky::prover::prove` does.
fn prove_with(backend: &dyn Backend, rows: usize) -> StarkProofWithPublicInputs<F, C, D> {
    let stark = SquareSumStark { _field: PhantomData };
    let config = StarkConfig::standard_fast_config();
    let (trace, pis) = trace(rows, F::from_canonical_u64(7));
    let mut timing = TimingTree::default();
    let commitment = backend
        .commit(
            trace.clone(),
            config.fri_config.rate_bits,
            false,
            config.fri_config.cap_height,
            &mut timing,
        )
        .unwrap();
    let mut challenger = Challenger::new();
    challenger.observe_elements(&pis);
    config.observe(&mut challenger);
    challenger.observe_cap(&commitment.merkle_tree.cap);
    prove_with_commitment(
        &stark,
        &config,
        &trace,
        &commitment,
        None,
        None,
        &mut challenger,
        &pis,
        None,
        None,
        &mut timing,
    )
    .unwrap()
}

fn verify(proof: StarkProofWithPublicInputs<F, C, D>) -> bool {
    let stark = SquareSumStark::<F> { _field: PhantomData };
    verify_stark_proof(stark, proof, &StarkConfig::standard_fast_config(), None).is_ok()
}

fn bytes(proof: &StarkProofWithPublicInputs<F, C, D>) -> Vec<u8> {
    bincode::serde::encode_to_vec(proof, bincode::config::standard()).unwrap()
}

fn gpu_backend() -> GpuBackend {
    let ctx = gpu_kernels::GpuContext::new(gpu_kernels::GpuOptions::default())
        .expect("a wgpu adapter is required (install mesa-vulkan-drivers for lavapipe)");
    GpuBackend::new(Arc::new(ctx)).unwrap()
}

#[test]
fn gpu_committed_proof_verifies_and_equals_cpu_proof() {
    let gpu = gpu_backend();
    assert!(gpu.name().starts_with("GPU on "), "{}", gpu.name());
    let gpu_proof = prove_with(&gpu, 1 << 10);
    let cpu_proof = prove_with(&CpuBackend, 1 << 10);
    assert_eq!(bytes(&gpu_proof), bytes(&cpu_proof), "GPU and CPU proofs differ");
    assert!(verify(gpu_proof));
}

#[test]
fn corrupted_gpu_proof_is_rejected() {
    let proof = prove_with(&gpu_backend(), 1 << 8);
    let mut wrong_cap = proof.clone();
    wrong_cap.proof.trace_cap.0[0].elements[0] += F::ONE;
    assert!(!verify(wrong_cap), "a proof with a corrupted trace cap verified");
    let mut wrong_opening = proof.clone();
    wrong_opening.proof.openings.local_values[1] += <F as Extendable<D>>::Extension::ONE;
    assert!(!verify(wrong_opening), "a proof with a corrupted opening verified");
    let mut wrong_input = proof;
    wrong_input.public_inputs[1] += F::ONE;
    assert!(!verify(wrong_input), "a proof of a wrong public output verified");
}

#[test]
fn gpu_commitment_equals_cpu_commitment_with_blinding_off() {
    let values: Vec<PolynomialValues<F>> = (0..9).map(|_| PolynomialValues::new(F::rand_vec(1 << 7))).collect();
    let mut timing = TimingTree::default();
    let gpu = gpu_backend().commit(values.clone(), 2, false, 3, &mut timing).unwrap();
    let cpu = CpuBackend.commit(values, 2, false, 3, &mut timing).unwrap();
    assert!(gpu == cpu);
    let err = CpuBackend.commit(Vec::new(), 1, false, 0, &mut timing).err().unwrap();
    assert!(err.to_string().contains("no polynomials"), "{err}");
}

#[test]
fn no_adapter_falls_back_to_cpu_with_a_reason() {
    let choice = select_backend_with(BackendPreference::Auto, || Err(gpu_kernels::GpuError::NoAdapter)).unwrap();
    assert!(choice.backend.name().starts_with("CPU"), "{}", choice.backend.name());
    assert!(choice.reason.contains("no GPU adapter found"), "{}", choice.reason);
    let err = select_backend_with(BackendPreference::Gpu, || Err(gpu_kernels::GpuError::NoAdapter))
        .err()
        .unwrap();
    assert!(
        matches!(err, BackendError::Gpu(gpu_kernels::GpuError::NoAdapter)),
        "{err}"
    );
    let cpu = select_backend_with(BackendPreference::Cpu, || panic!("the GPU must not be probed")).unwrap();
    assert_eq!(cpu.reason, "ZKR_BACKEND=cpu");
    assert!(matches!(
        BackendPreference::parse("tpu"),
        Err(BackendError::BadPreference(_))
    ));
    assert_eq!(BackendPreference::parse("GPU").unwrap(), BackendPreference::Gpu);
}

#[test]
fn auto_prefers_the_cpu_backend_over_a_software_adapter() {
    let options = GpuOptions::default();
    let adapter = GpuContext::new(options).expect("a wgpu adapter").adapter;
    let auto = select_backend_with(BackendPreference::Auto, || GpuContext::new(options)).unwrap();
    let forced = select_backend_with(BackendPreference::Gpu, || GpuContext::new(options)).unwrap();
    assert!(forced.backend.name().starts_with("GPU"), "{}", forced.backend.name());
    if adapter.device_type == "Cpu" {
        assert!(auto.backend.name().starts_with("CPU"), "{}", auto.backend.name());
        assert!(auto.reason.contains("software device"), "{}", auto.reason);
    } else {
        assert!(auto.backend.name().starts_with("GPU"), "{}", auto.backend.name());
    }
}
