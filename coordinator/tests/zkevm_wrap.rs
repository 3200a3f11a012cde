//! The zkEVM pipeline's wrap job end to end: a worker wraps a block's
//! aggregated proof for L1, the coordinator derives the verifying key on its
//! own and accepts exactly that wrap, a second wrap job reuses the worker's
//! kept keys, and the wrap proof file settles in the rollup contract. Ignored in the default run (it proves a whole wrap:
//! about ten minutes on two cores at k = 20); run it with
//! `cargo test -p coordinator --test zkevm_wrap -- --ignored`
//! (`ZKR_WRAP_TEST_K` sets k; the refusals before proving are checked in
//! `zkevm_pipeline`).

use coordinator::job::JobKind;
use coordinator::pipeline::{JobSpec, PipelineError, ProofPipeline, ZkevmBatchInput, ZkevmPipeline, ZkevmWrap};
use prover::backend::CpuBackend;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use verifier_contract::artifact::WrapArtifact;
use verifier_contract::evm::L1;
use verifier_contract::settle::settle;
use verifier_contract::wrap::WrapSettings;

const ROWS_LOG: usize = 8;

fn spec(kind: JobKind, level: u32, index: u32) -> JobSpec {
    JobSpec { kind, level, index }
}

#[test]
#[ignore = "proves a whole wrap (about ten minutes); run with --ignored"]
fn a_wrap_job_wraps_the_block_and_the_coordinator_accepts_exactly_that_proof() {
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

    let block = executor::synthetic::counter_loop_block(2, 20);
    let chunks = coordinator
        .split(&ZkevmBatchInput::new(vec![block.clone()]).to_bytes())
        .expect("split")
        .concat();
    let outputs: Vec<Vec<u8>> = (0..chunks.len() as u32)
        .map(|i| {
            let job = spec(JobKind::Chunk, 0, i);
            worker.run(&job, &chunks[i as usize..=i as usize]).expect("chunk job")
        })
        .collect();
    assert_eq!(outputs.len(), 2, "the test block is meant to give two chunks");
    let root = worker
        .run(&spec(JobKind::Aggregate, 1, 0), &outputs)
        .expect("aggregation job");

    let wrap = spec(JobKind::Wrap, 2, 0);
    let inputs = [coordinator.wrap_input().expect("a wrap job input"), root];
    let started = Instant::now();
    let output = worker.run(&wrap, &inputs).expect("wrap job");
    let first = started.elapsed();
    coordinator
        .verify(&wrap, &inputs, &output)
        .expect("the coordinator accepts the wrap");
    println!("{}", coordinator.describe_output(&output));

    // Checked again with the kept key: a flipped proof byte, or a verifier
    // other than the key's, is rejected.
    let artifact = WrapArtifact::from_bytes(&output, Path::new("wrap job output")).unwrap();
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
