//! The zkEVM pipeline as the cluster drives it: the coordinator splits a
//! block into chunk jobs, workers prove chunk and aggregation jobs, and the
//! coordinator's checks accept exactly the right proofs, for one block and
//! for a batch of consecutive blocks.

mod common;

use coordinator::job::JobKind;
use coordinator::pipeline::{
    srs_id, ChunkJobInput, JobSpec, PipelineError, ProofPipeline, WrapJobParams, ZkevmBatchInput, ZkevmPipeline,
    ZkevmWrap,
};
use prover::backend::CpuBackend;
use prover::zkevm::aggregate::{
    verify_aggregated, verify_batch, AggregatedProof, BatchProof, BatchVerifierData, Circuits, VerifierData,
};
use std::path::Path;
use std::sync::Arc;
use verifier_contract::artifact::WrapArtifact;
use verifier_contract::wrap::WrapSettings;
use witness::ChunkSize;

const ROWS_LOG: usize = 8;
/// The wrap size the refusal checks plan with (they stop before proving).
const WRAP_K: u32 = 8;
/// The chain the bundled wrap proofs are for.
const DEMO_CHAIN_ID: u64 = 679;

fn spec(kind: JobKind, level: u32, index: u32) -> JobSpec {
    JobSpec { kind, level, index }
}

fn rejected(r: Result<(), PipelineError>) -> bool {
    matches!(r, Err(PipelineError::Rejected { .. }))
}

#[test]
fn bad_batch_inputs_are_refused_with_the_reason() {
    let p = ZkevmPipeline::new(Arc::new(CpuBackend), ROWS_LOG);
    match p.split(b"not a block") {
        Err(PipelineError::BadInput { job, detail }) => {
            assert_eq!(job, "batch input");
            assert!(detail.contains("ZkevmBatchInput"), "{detail}");
        }
        other => panic!("expected a bad input error, got {other:?}"),
    }
    // A block outside the zkEVM's tables (a contract creation) is refused
    // when it is split, saying why.
    let mut creation = executor::synthetic::block(executor::synthetic::Workload::Transfers, 3);
    creation.transactions[1].to = None;
    creation.transactions[1].gas_limit = 100_000;
    match p.split(&ZkevmBatchInput::new(vec![creation.clone()]).to_bytes()) {
        Err(PipelineError::BadInput { detail, .. }) => {
            assert!(
                detail.starts_with(&format!("block {}:", creation.header.number))
                    && detail.contains("contract creation"),
                "{detail}"
            )
        }
        other => panic!("expected the creating block to be refused, got {other:?}"),
    }
}

/// A transaction longer than an ordinary chunk is split over chunk jobs
/// (each worker rebuilds its piece from the traces and the resume boundary
/// in the job's statement); one that cannot be split gets a chunk job of
/// its own, sized to hold it, when the pipeline allows larger chunks, and
/// otherwise the block is refused when it is split into jobs.
#[test]
fn a_long_transaction_is_split_over_chunk_jobs_or_gets_a_larger_one() {
    let mut block = executor::synthetic::counter_loop_block(3, 19);
    // 80 rounds: 566 and 569 steps, more than 2^8 rows hold, fewer than 2^10;
    // the first holds more memory than a cut carries, the second none.
    for (i, code) in [
        executor::synthetic::memory_first_loop_code(80),
        executor::synthetic::counter_loop_code(80),
    ]
    .into_iter()
    .enumerate()
    {
        let mut long = block.transactions[0].to.expect("a call");
        long.0 .0[19] = 0x20 + i as u8;
        block.pre_state.insert(
            long,
            executor::input::PreAccount {
                code,
                ..Default::default()
            },
        );
        block.transactions[i + 1].to = Some(long);
    }
    let input = ZkevmBatchInput::new(vec![block.clone()]).to_bytes();

    let refused = ZkevmPipeline::new(Arc::new(CpuBackend), ROWS_LOG).split(&input);
    match refused {
        Err(PipelineError::BadInput { detail, .. }) => assert!(detail.contains("transaction 1"), "{detail}"),
        other => panic!("expected the long transaction to be refused, got {other:?}"),
    }
    let sizes = ChunkSize {
        rows_log: ROWS_LOG,
        max_rows_log: 10,
    };
    let chunks = ZkevmPipeline::new(Arc::new(CpuBackend), sizes)
        .split(&input)
        .expect("split")
        .concat();
    let rows: Vec<usize> = chunks
        .iter()
        .map(|c| {
            let input: ChunkJobInput = executor::codec::from_bincode(c, Path::new("chunk"), "ChunkJobInput").unwrap();
            input.witness().expect("the traces give the job's layout").cpu.len()
        })
        .collect();
    assert_eq!(
        rows,
        [1 << ROWS_LOG, 1 << 10, 1 << ROWS_LOG, 1 << ROWS_LOG, 1 << ROWS_LOG]
    );
}

#[test]
fn chunk_and_aggregation_jobs_prove_a_block_and_the_checks_reject_wrong_results() {
    let p = ZkevmPipeline::new(Arc::new(CpuBackend), ROWS_LOG);
    let block = executor::synthetic::counter_loop_block(2, 20);
    let chunks = p
        .split(&ZkevmBatchInput::new(vec![block.clone()]).to_bytes())
        .expect("split")
        .concat();
    assert_eq!(chunks.len(), 2, "the test block is meant to give two chunks");

    let chunk = |i: u32| spec(JobKind::Chunk, 0, i);
    // A chunk job carries its traces, not its table rows, which the worker
    // rebuilds: the step and stack rows alone encode larger.
    let input: ChunkJobInput =
        executor::codec::from_bincode(&chunks[0], Path::new("chunk 0"), "ChunkJobInput").unwrap();
    let witness = input.clone().witness().expect("the traces give the job's layout");
    let rows = executor::codec::to_bincode(&(witness.cpu.concat(), witness.stack.concat())).len();
    assert!(
        chunks[0].len() < rows,
        "{} bytes of input, {rows} of rows",
        chunks[0].len()
    );
    // Traces that do not give the job's statement are refused by the worker.
    let mut tampered = input.clone();
    let step = tampered.traces[0]
        .steps
        .iter_mut()
        .find(|s| s.opcode == 0x01)
        .expect("an ADD");
    step.stack_out[0] = !step.stack_out[0];
    let refused = p.run(&chunk(0), &[executor::codec::to_bincode(&tampered)]);
    assert!(matches!(refused, Err(PipelineError::BadInput { .. })), "{refused:?}");
    let mut tampered = input;
    tampered.layout.statement.calls[0].gas_left += 1;
    let refused = p.run(&chunk(0), &[executor::codec::to_bincode(&tampered)]);
    match refused {
        Err(PipelineError::BadInput { detail, .. }) => assert!(detail.contains("statement"), "{detail}"),
        other => panic!("expected the worker to refuse the job, got {other:?}"),
    }

    let outputs: Vec<Vec<u8>> = (0..2)
        .map(|i| p.run(&chunk(i), &chunks[i as usize..=i as usize]).expect("chunk job"))
        .collect();
    for i in 0..2 {
        p.verify(&chunk(i), &chunks[i as usize..=i as usize], &outputs[i as usize])
            .expect("a correct chunk proof is accepted");
    }
    // A valid proof of another chunk, or a corrupted one, is rejected.
    assert!(rejected(p.verify(&chunk(0), &chunks[0..1], &outputs[1])));
    let mut corrupted = outputs[0].clone();
    let at = corrupted.len() - 40;
    corrupted[at] ^= 1;
    assert!(rejected(p.verify(&chunk(0), &chunks[0..1], &corrupted)));

    let agg = spec(JobKind::Aggregate, 1, 0);
    let root = p.run(&agg, &outputs).expect("aggregation job");
    p.verify(&agg, &outputs, &root).expect("the merge is accepted");
    // The same proof claimed for the children in the other order, or a
    // child's proof passed off as the merge, is rejected.
    let swapped = [outputs[1].clone(), outputs[0].clone()];
    assert!(rejected(p.verify(&agg, &swapped, &root)));
    assert!(rejected(p.verify(&agg, &outputs, &outputs[0])));
    // Merging out of order fails on the worker (continuity), not silently.
    assert!(matches!(p.run(&agg, &swapped), Err(PipelineError::Run { .. })));

    // The root output is the block's aggregated proof, checkable on its own.
    let proof = AggregatedProof::from_bytes(&root).expect("an aggregated proof");
    assert_eq!(
        (proof.block, proof.first_tx, proof.end_tx, proof.num_chunks()),
        (block.header.number, 0, 2, 2)
    );
    let data = VerifierData::for_chunks(&mut Circuits::new(), &proof.chunks).expect("verifier data");
    verify_aggregated(&proof, &data).expect("the block proof verifies");
    assert!(
        p.describe_output(&root).contains("2 chunks"),
        "{}",
        p.describe_output(&root)
    );
    wrap_jobs_check_their_setup_and_statement(&p, &root);
}

/// What a wrap job refuses before any proving: a worker without an SRS, a
/// worker on another setup, and (on the coordinator) a wrap proof file
/// whose statement or size is not its root's. The whole wrap runs in the
/// `zkevm_wrap` test (ignored: tens of minutes).
fn wrap_jobs_check_their_setup_and_statement(without_wrap: &ZkevmPipeline, root: &[u8]) {
    let wrap = spec(JobKind::Wrap, 2, 0);
    let dir = tempfile::tempdir().unwrap();
    let setup = |name: &str| {
        let path = dir.path().join(name);
        prover::kzg::srs::save(&prover::kzg::srs::insecure_local(WRAP_K), &path).unwrap();
        path
    };
    let (ours, theirs) = (setup("ours.srs"), setup("theirs.srs"));
    let settings = WrapSettings {
        chain_id: DEMO_CHAIN_ID,
        k: WRAP_K,
        lookup_bits: 4,
    };
    let coordinator = ZkevmPipeline::new(Arc::new(CpuBackend), ROWS_LOG)
        .with_wrap(ZkevmWrap::coordinator(ours.clone(), settings).expect("the coordinator's wrap setup"));
    assert!(coordinator.has_wrap() && !without_wrap.has_wrap());
    assert_eq!(
        coordinator.requirement(JobKind::Wrap).min_memory_mb,
        coordinator::pipeline::wrap_memory_mb(WRAP_K)
    );
    let params = coordinator.wrap_input().expect("a wrap job input");
    let decoded: WrapJobParams = executor::codec::from_bincode(&params, Path::new("params"), "WrapJobParams").unwrap();
    assert_eq!(decoded.settings, settings);
    // Only a worker holding the SRS may lease the wrap job.
    assert_eq!(coordinator.requirement(JobKind::Wrap).srs, Some(srs_id(&decoded.srs)));
    assert_eq!(coordinator.requirement(JobKind::Chunk).srs, None);
    let inputs = [params, root.to_vec()];

    match without_wrap.run(&wrap, &inputs) {
        Err(PipelineError::BadInput { detail, .. }) => assert!(detail.contains("--wrap-srs"), "{detail}"),
        other => panic!("expected a worker without an SRS to refuse the wrap job, got {other:?}"),
    }
    let theirs = ZkevmWrap::worker(theirs).expect("a worker's wrap setup");
    assert_ne!(Some(theirs.srs_id()), coordinator.requirement(JobKind::Wrap).srs);
    let elsewhere = ZkevmPipeline::new(Arc::new(CpuBackend), ROWS_LOG).with_wrap(theirs);
    match elsewhere.run(&wrap, &inputs) {
        Err(PipelineError::BadInput { detail, .. }) => assert!(detail.contains("another SRS"), "{detail}"),
        other => panic!("expected a worker on another setup to refuse the wrap job, got {other:?}"),
    }

    // The bundled wrap proof file is of another size (k = 23) and, at this
    // size, for another block.
    let bundled = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/wrap/demo.wrap")).unwrap();
    let refusal = |output: &[u8]| match coordinator.verify(&wrap, &inputs, output) {
        Err(PipelineError::Rejected { detail, .. }) => detail,
        other => panic!("expected the wrap output to be rejected, got {other:?}"),
    };
    assert!(refusal(&bundled).contains("k = 23"), "{}", refusal(&bundled));
    let mut resized = WrapArtifact::from_bytes(&bundled, Path::new("demo.wrap")).unwrap();
    resized.k = WRAP_K;
    let resized = resized.to_bytes().unwrap();
    assert!(refusal(&resized).contains("the root proves"), "{}", refusal(&resized));
    assert!(rejected(coordinator.verify(&wrap, &inputs, b"not a wrap proof")));
    assert!(coordinator.describe_output(&bundled).contains("wrap proof for L1"));
}

/// A batch of two consecutive blocks of two chunks each, as the cluster
/// plans and runs it: the coordinator executes the second block on the
/// state the first leaves, each block's chunks form a tree, one job lifts
/// each block's proof into batch form and one merges the two; the root is a
/// batch proof of both blocks that verifies on its own. The checks reject a
/// lifted proof of the other block, a merge's child passed off as the merge,
/// a corrupted merge and a block proof where a batch proof is due; merging
/// out of order fails on the worker; blocks that do not follow are refused
/// when the batch is split. A wrap job above the batch root refuses what
/// it refuses above a block's.
#[test]
fn a_batch_of_consecutive_blocks_is_proven_job_by_job_into_one_batch_proof() {
    let p = ZkevmPipeline::new(Arc::new(CpuBackend), ROWS_LOG);
    let chain = executor::synthetic::counter_loop_chain(2, 2, 20);
    let reversed = ZkevmBatchInput::new(vec![chain[1].clone(), chain[0].clone()]).to_bytes();
    match p.split(&reversed) {
        Err(PipelineError::BadInput { detail, .. }) => assert!(
            detail.contains(&format!("block {} cannot follow block", chain[0].header.number)),
            "{detail}"
        ),
        other => panic!("expected blocks out of order to be refused, got {other:?}"),
    }
    match p.split(&ZkevmBatchInput::default().to_bytes()) {
        Err(PipelineError::BadInput { detail, .. }) => assert!(detail.contains("no blocks"), "{detail}"),
        other => panic!("expected an empty batch to be refused, got {other:?}"),
    }

    let ran = common::run_batch(&p, &p, &ZkevmBatchInput::new(chain.clone()).to_bytes());
    let chunks = ran.plan.jobs.iter().filter(|j| j.kind == JobKind::Chunk);
    let blocks: Vec<_> = chunks.map(|j| j.input_blob.as_deref().unwrap_or_default()).collect();
    assert_eq!(
        blocks,
        ["block0-chunk0", "block0-chunk1", "block1-chunk0", "block1-chunk1"]
    );
    // Levels 1 (each block's merge), 2 (the lifts) and 3 (the batch merge).
    let (lift, merge) = (spec(JobKind::Aggregate, 2, 1), spec(JobKind::Aggregate, 3, 0));
    let outputs = &ran.outputs;
    let (block, lifted) = (&outputs["t/aggregate/1/1"], &outputs["t/aggregate/2/1"]);
    let children = [outputs["t/aggregate/2/0"].clone(), lifted.clone()];
    assert_eq!(ran.plan.root, "t/aggregate/3/0");
    let root = ran.root();

    assert!(rejected(p.verify(
        &lift,
        std::slice::from_ref(block),
        &outputs["t/aggregate/2/0"]
    )));
    assert!(rejected(p.verify(&lift, std::slice::from_ref(block), block)));
    assert!(rejected(p.verify(&merge, &children, lifted)));
    let mut corrupted = root.to_vec();
    let at = corrupted.len() - 40;
    corrupted[at] ^= 1;
    assert!(rejected(p.verify(&merge, &children, &corrupted)));
    let swapped = [children[1].clone(), children[0].clone()];
    assert!(matches!(p.run(&merge, &swapped), Err(PipelineError::Run { .. })));
    let mixed = [children[0].clone(), block.clone()];
    assert!(matches!(p.run(&merge, &mixed), Err(PipelineError::BadInput { .. })));

    let batch = BatchProof::from_bytes(root).expect("a batch proof");
    let first = chain[0].header.number;
    assert_eq!((batch.first_block(), batch.end_block()), (first, first + 2));
    let data = BatchVerifierData::for_blocks(&mut Circuits::new(), &batch.blocks).expect("verifier data");
    verify_batch(&batch, &data).expect("the batch proof verifies");
    let described = p.describe_output(root);
    assert!(
        described.contains(&format!("blocks {first}..{}", first + 2)),
        "{described}"
    );
    // A wrap job above a batch root checks it as it checks a block's.
    wrap_jobs_check_their_setup_and_statement(&p, root);
}
