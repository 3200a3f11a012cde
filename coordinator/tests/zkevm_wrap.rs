//! The zkEVM pipeline's wrap job end to end: a batch of two consecutive
//! blocks is proven job by job (chunks, each block's merge, the lifts into
//! batch form, the batch merge), a worker wraps the batch proof for L1, the
//! coordinator derives the verifying key on its own and accepts exactly that
//! wrap, a second wrap job reuses the worker's kept keys, and the wrap proof
//! file settles in the rollup contract. Ignored in the default run (it
//! proves a whole wrap: about ten minutes on two cores at k = 20); run it
//! with `cargo test -p coordinator --test zkevm_wrap -- --ignored`
//! (`ZKR_WRAP_TEST_K` sets k; the refusals before proving are checked in
//! `zkevm_pipeline`).

mod common;

use coordinator::job::JobKind;
use coordinator::pipeline::{PipelineError, ProofPipeline, ZkevmBatchInput, ZkevmPipeline, ZkevmWrap};
use prover::backend::CpuBackend;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use verifier_contract::artifact::WrapArtifact;
use verifier_contract::evm::L1;
use verifier_contract::settle::settle;
use verifier_contract::wrap::WrapSettings;

const ROWS_LOG: usize = 8;

#[test]
#[ignore = "proves a whole wrap (about ten minutes); run with --ignored"]
fn a_wrap_job_wraps_a_batch_of_blocks_and_the_coordinator_accepts_exactly_that_proof() {
    let k = std::env::var("ZKR_WRAP_TEST_K")
        .ok()
        .map(|v| v.parse().expect("ZKR_WRAP_TEST_K is a number"))
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let srs = dir.path().join("cluster.srs");
    prover::kzg::srs::save(&prover::kzg::srs::insecure_local(k), &srs).unwrap();
    let settings = WrapSettings {
        chain_id: 679,
        k,
        lookup_bits: 15,
    };
    let coordinator = ZkevmPipeline::new(Arc::new(CpuBackend), ROWS_LOG)
        .with_wrap(ZkevmWrap::coordinator(srs.clone(), settings).expect("the coordinator's wrap setup"));
    let worker = ZkevmPipeline::new(Arc::new(CpuBackend), ROWS_LOG)
        .with_wrap(ZkevmWrap::worker(srs).expect("the worker's wrap setup"));

    let chain = executor::synthetic::counter_loop_chain(2, 2, 20);
    let ran = common::run_batch(&coordinator, &worker, &ZkevmBatchInput::new(chain.clone()).to_bytes());
    let job = ran.job(&ran.plan.root);
    assert_eq!((job.kind, ran.plan.jobs.len()), (JobKind::Wrap, 4 + 2 + 2 + 1 + 1));
    let (wrap, inputs, output) = (common::spec_of(job), ran.inputs(job), ran.root().to_vec());
    let first = ran.times[&ran.plan.root];
    println!("{}", coordinator.describe_output(&output));

    // Checked again with the kept key: a flipped proof byte, or a verifier
    // other than the key's, is rejected.
    let artifact = WrapArtifact::from_bytes(&output, Path::new("wrap job output")).unwrap();
    let number = chain[0].header.number;
    assert!(
        artifact
            .subject
            .starts_with(&format!("blocks {number}..{}", number + 2)),
        "{}",
        artifact.subject
    );
    let rejection = |changed: WrapArtifact| match coordinator.verify(&wrap, &inputs, &changed.to_bytes().unwrap()) {
        Err(PipelineError::Rejected { detail, .. }) => detail,
        other => panic!("expected the changed wrap to be rejected, got {other:?}"),
    };
    let mut flipped = artifact.clone();
    flipped.proof[100] ^= 1;
    assert!(rejection(flipped).contains("does not verify"));
    let mut other_verifier = artifact.clone();
    other_verifier.verifier_source.push_str("\n// another contract\n");
    assert!(rejection(other_verifier).contains("Solidity verifier"));

    // The next wrap of the same circuit (here the same root, proven again)
    // reuses the worker's kept keys and verifier, and is accepted as well.
    let started = Instant::now();
    let again = worker.run(&wrap, &inputs).expect("a second wrap job");
    println!(
        "wrap job: {:.1} s making the keys, {:.1} s with kept keys",
        first.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let kept = worker.wrap_setup().expect("the worker's wrap setup");
    assert_eq!(kept.reused_keys(), 1, "the second wrap job reuses the first one's keys");
    assert_ne!(again, output, "a new proof (fresh blinding)");
    coordinator
        .verify(&wrap, &inputs, &again)
        .expect("the coordinator accepts a wrap made with kept keys");

    let settled = settle(&mut L1::new(), &artifact).expect("the wrap settles on L1");
    println!(
        "k = {k}: verifier call {} gas, submitBatch {} gas",
        settled.verifier_gas, settled.accepted.gas_used
    );
}
