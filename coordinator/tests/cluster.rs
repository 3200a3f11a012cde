//! The coordinator and in-process workers on loopback: end to end with real
//! plonky2 proofs (a batch of two zkEVM blocks among them), rejected corrupt proofs, results the coordinator cannot
//! check, refused workers, a coordinator restart, and a 1,000-chunk load test.

use coordinator::auth::WorkerIdentity;
use coordinator::blob::FsBlobStore;
use coordinator::client::{ClientError, OperatorClient, WorkerClient};
use coordinator::job::{BatchState, JobKind, JobState, LeasedJob, Requirement};
use coordinator::pipeline::{JobSpec, PipelineError, PipelineRegistry, ProofPipeline, ZkevmBatchInput};
use coordinator::server::{Coordinator, CoordinatorConfig};
use coordinator::store::SqliteStore;
use coordinator::worker::{default_capabilities, Worker, WorkerConfig, WorkerError};
use prover::zkevm::aggregate::{verify_batch, BatchProof, BatchVerifierData, Circuits};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

const TOKEN: &str = "operator-test-token";

struct Running {
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(dir: &Path, lease: Duration) -> Running {
    start_with(dir, lease, PipelineRegistry::builtin()).await
}

async fn start_with(dir: &Path, lease: Duration, pipelines: PipelineRegistry) -> Running {
    let store = Arc::new(SqliteStore::open(dir.join("jobs.sqlite").to_str().expect("utf-8")).expect("store"));
    let blobs = Arc::new(FsBlobStore::open(dir.join("blobs")).expect("blobs"));
    let mut config = CoordinatorConfig::new(TOKEN.into());
    config.lease = lease;
    config.expiry_interval = Duration::from_millis(200);
    config.max_upload_bytes = 1 << 20;
    let c = Coordinator::new(store, blobs, pipelines, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, rx) = oneshot::channel();
    let task = tokio::spawn(c.serve(listener, async move {
        let _ = rx.await;
    }));
    Running { url, stop, task }
}

async fn stop(r: Running) {
    let _ = r.stop.send(());
    r.task.await.expect("join").expect("serve");
}

async fn registered_identity(op: &OperatorClient, id: &str) -> WorkerIdentity {
    let ident = WorkerIdentity::generate(id);
    op.register_worker(id, &ident.public_key_hex()).await.expect("register");
    ident
}

/// A new worker `id`, registered and authenticated, and the first job it leases.
async fn first_lease(op: &OperatorClient, url: &str, id: &str) -> (WorkerClient, LeasedJob) {
    let ident = registered_identity(op, id).await;
    let mut client = WorkerClient::new(url);
    client
        .authenticate(&ident, &default_capabilities())
        .await
        .expect("auth");
    let job = client.lease().await.expect("lease").expect("a chunk job");
    (client, job)
}

fn worker(url: &str, identity: WorkerIdentity, max_jobs: Option<u64>) -> Worker {
    Worker::new(
        WorkerConfig {
            coordinator: url.into(),
            identity,
            capabilities: default_capabilities(),
            poll_interval: Duration::from_millis(20),
            shutdown_grace: Duration::from_secs(1),
            max_jobs,
        },
        PipelineRegistry::builtin(),
    )
}

/// Polls until the batch is done or failed, for at most `limit`.
async fn wait_batch(op: &OperatorClient, id: &str, limit: Duration) -> BatchState {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let s = op.batch(id).await.expect("status").batch.state;
        if s != BatchState::Running || tokio::time::Instant::now() > deadline {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_prove_a_batch_with_plonky2_and_the_coordinator_verifies_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start(dir.path(), Duration::from_secs(60)).await;
    let op = OperatorClient::new(&c.url, TOKEN);
    let input: Vec<u8> = (0..1500u32).map(|i| (i * 7 % 251) as u8).collect();
    let created = op
        .submit("poseidon-commitment", Some("e2e"), input)
        .await
        .expect("submit");
    assert_eq!(created.jobs, 2 + 1 + 1, "two chunks, one aggregation, one wrap");
    let (tx, rx) = watch::channel(false);
    let mut handles = Vec::new();
    for name in ["w1", "w2"] {
        let w = worker(&c.url, registered_identity(&op, name).await, None);
        let rx = rx.clone();
        handles.push(tokio::spawn(async move { w.run(rx).await }));
    }
    assert_eq!(wait_batch(&op, "e2e", Duration::from_secs(300)).await, BatchState::Done);
    tx.send(true).expect("shutdown");
    let mut accepted = 0;
    for h in handles {
        accepted += h.await.expect("join").expect("worker").accepted;
    }
    assert_eq!(accepted, 4);
    let status = op.batch("e2e").await.expect("status");
    assert!(status
        .jobs
        .iter()
        .all(|j| j.state == JobState::Done && j.completions == 1));
    assert!(!op.output("e2e").await.expect("final proof").is_empty());
    let metrics = op.metrics().await.expect("metrics");
    assert!(
        metrics.contains(r#"zkr_accepted_results_total{kind="wrap"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"zkr_jobs{kind="chunk",state="done"} 2"#),
        "{metrics}"
    );
    stop(c).await;
}

/// Two consecutive zkEVM blocks submitted as one batch: the coordinator
/// executes the second on the state the first leaves and plans a chunk job
/// per block (one chunk each at the default size), a job lifting each
/// block's proof into batch form and one merging them; a worker proves them
/// all, the coordinator accepts each, and the batch's output is one batch
/// proof of both blocks that verifies on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_zkevm_blocks_are_proven_as_one_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start(dir.path(), Duration::from_secs(600)).await;
    let op = OperatorClient::new(&c.url, TOKEN);
    let chain = executor::synthetic::counter_loop_chain(2, 1, 19);
    let created = op
        .submit("zkevm", Some("blocks"), ZkevmBatchInput::new(chain.clone()).to_bytes())
        .await
        .expect("submit");
    assert_eq!((created.batch.chunks, created.jobs), (2, 2 + 2 + 1));
    let (tx, rx) = watch::channel(false);
    let w = worker(&c.url, registered_identity(&op, "w1").await, None);
    let handle = tokio::spawn(async move { w.run(rx).await });
    assert_eq!(
        wait_batch(&op, "blocks", Duration::from_secs(1200)).await,
        BatchState::Done
    );
    tx.send(true).expect("shutdown");
    assert_eq!(handle.await.expect("join").expect("worker").accepted, 5);
    let status = op.batch("blocks").await.expect("status");
    assert_eq!(status.batch.root_job, "blocks/aggregate/2/0");
    let output = op.output("blocks").await.expect("final proof");
    let batch = BatchProof::from_bytes(&output).expect("a batch proof");
    let first = chain[0].header.number;
    assert_eq!((batch.first_block(), batch.end_block()), (first, first + 2));
    let data = BatchVerifierData::for_blocks(&mut Circuits::new(), &batch.blocks).expect("verifier data");
    verify_batch(&batch, &data).expect("the batch proof verifies");
    stop(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_proof_is_rejected_and_counted_against_the_worker() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start(dir.path(), Duration::from_secs(60)).await;
    let op = OperatorClient::new(&c.url, TOKEN);
    op.submit("poseidon-commitment", Some("bad"), b"some chunk bytes".to_vec())
        .await
        .expect("submit");
    let (client, job) = first_lease(&op, &c.url, "cheat").await;
    let input = client.blob(&job.inputs[0]).await.expect("blob");
    let registry = PipelineRegistry::builtin();
    let pipeline = registry.get(&job.pipeline).expect("pipeline");
    let spec = JobSpec {
        kind: job.kind,
        level: job.level,
        index: job.index,
    };
    let mut proof = tokio::task::spawn_blocking(move || pipeline.run(&spec, &[input]))
        .await
        .expect("join")
        .expect("prove");
    let mid = proof.len() / 2;
    proof[mid] ^= 1;
    match client.submit(&job.id, proof).await {
        Err(ClientError::Status { status: 422, message }) => assert!(message.contains("rejected"), "{message}"),
        other => panic!("a corrupted proof must be rejected with 422, got {other:?}"),
    }
    let rec = op.job(&job.id).await.expect("job");
    assert_eq!(rec.state, JobState::Ready, "the job goes back to the queue");
    assert!(rec.last_error.as_deref().unwrap_or("").contains("cheat"));
    let metrics = op.metrics().await.expect("metrics");
    assert!(
        metrics.contains(r#"zkr_rejected_proofs_total{worker="cheat"} 1"#),
        "{metrics}"
    );
    stop(c).await;
}

/// A one-chunk pipeline whose check always fails on the coordinator's side
/// (as a wrap check does when its solc fails).
struct CannotCheck;

impl ProofPipeline for CannotCheck {
    fn name(&self) -> &'static str {
        "cannot-check"
    }
    fn split(&self, batch_input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, PipelineError> {
        Ok(vec![vec![batch_input.to_vec()]])
    }
    fn has_wrap(&self) -> bool {
        false
    }
    fn requirement(&self, _kind: JobKind) -> Requirement {
        Requirement::default()
    }
    fn run(&self, _job: &JobSpec, inputs: &[Vec<u8>]) -> Result<Vec<u8>, PipelineError> {
        Ok(inputs[0].clone())
    }
    fn verify(&self, job: &JobSpec, _inputs: &[Vec<u8>], _output: &[u8]) -> Result<(), PipelineError> {
        Err(PipelineError::Unchecked {
            job: job.to_string(),
            detail: "the checker's compiler exited".into(),
        })
    }
    fn describe_output(&self, output: &[u8]) -> String {
        format!("{} bytes", output.len())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_the_coordinator_cannot_check_is_not_counted_against_the_worker() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pipelines = PipelineRegistry::default();
    pipelines.add(Arc::new(CannotCheck));
    let c = start_with(dir.path(), Duration::from_secs(60), pipelines).await;
    let op = OperatorClient::new(&c.url, TOKEN);
    op.submit("cannot-check", Some("b"), b"chunk".to_vec())
        .await
        .expect("submit");
    let (client, job) = first_lease(&op, &c.url, "honest").await;
    match client.submit(&job.id, b"chunk".to_vec()).await {
        Err(ClientError::Status { status: 503, message }) => {
            assert!(message.contains("could not be checked"), "{message}")
        }
        other => panic!("an unchecked result must be answered 503, got {other:?}"),
    }
    let rec = op.job(&job.id).await.expect("job");
    assert_eq!(rec.state, JobState::Ready, "the job goes back to the queue");
    assert!(rec.last_error.as_deref().unwrap_or("").contains("compiler exited"));
    let metrics = op.metrics().await.expect("metrics");
    assert!(
        !metrics.contains(r#"zkr_rejected_proofs_total{worker="honest"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"zkr_job_retries_total{cause="unchecked"} 1"#),
        "{metrics}"
    );
    stop(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_revoked_and_unauthenticated_callers_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start(dir.path(), Duration::from_secs(60)).await;
    let op = OperatorClient::new(&c.url, TOKEN);
    let (_tx, rx) = watch::channel(false);
    // A worker whose key the coordinator does not know.
    let stranger = worker(&c.url, WorkerIdentity::generate("stranger"), None);
    assert!(matches!(stranger.run(rx.clone()).await, Err(WorkerError::Refused(_))));
    // A registered worker whose key is then revoked.
    let ident = registered_identity(&op, "w1").await;
    let mut client = WorkerClient::new(&c.url);
    client
        .authenticate(&ident, &default_capabilities())
        .await
        .expect("auth before revocation");
    op.revoke_worker("w1").await.expect("revoke");
    assert!(
        matches!(client.lease().await, Err(ClientError::Unauthorized)),
        "revocation ends the session"
    );
    assert!(matches!(
        client.authenticate(&ident, &default_capabilities()).await,
        Err(ClientError::Unauthorized)
    ));
    // A key registered under another id does not sign for this one.
    let impostor = WorkerIdentity {
        worker_id: "w2".into(),
        key: ident.key,
    };
    registered_identity(&op, "w2").await;
    assert!(matches!(
        WorkerClient::new(&c.url)
            .authenticate(&impostor, &default_capabilities())
            .await,
        Err(ClientError::Unauthorized)
    ));
    // No operator token, wrong token: nothing is revealed.
    let anon = OperatorClient::new(&c.url, "wrong");
    assert!(matches!(anon.batches().await, Err(ClientError::Unauthorized)));
    assert!(matches!(anon.metrics().await, Err(ClientError::Unauthorized)));
    assert!(matches!(
        anon.submit("sha256-digest-tree", None, vec![1]).await,
        Err(ClientError::Unauthorized)
    ));
    assert!(matches!(
        WorkerClient::new(&c.url).lease().await,
        Err(ClientError::Unauthorized)
    ));
    // Oversized uploads and bad input get clear errors, not crashes.
    match op.submit("sha256-digest-tree", None, vec![0u8; 2 << 20]).await {
        Err(ClientError::Status { status: 413, .. }) => {}
        other => panic!("an oversized batch must get 413, got {other:?}"),
    }
    match op.submit("no-such-pipeline", None, vec![1]).await {
        Err(ClientError::Status { status: 400, message }) => assert!(message.contains("unknown pipeline"), "{message}"),
        other => panic!("expected 400, got {other:?}"),
    }
    match op.submit("sha256-digest-tree", Some("../x"), vec![1]).await {
        Err(ClientError::Status { status: 400, .. }) => {}
        other => panic!("expected 400 for a bad batch id, got {other:?}"),
    }
    let metrics = op.metrics().await.expect("metrics");
    assert!(metrics.contains("zkr_auth_failures_total 3"), "{metrics}");
    stop(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_restart_mid_batch_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start(dir.path(), Duration::from_secs(60)).await;
    let op = OperatorClient::new(&c.url, TOKEN);
    let created = op
        .submit("sha256-digest-tree", Some("r"), vec![9u8; 64 * 16])
        .await
        .expect("submit");
    let ident = registered_identity(&op, "w1").await;
    let (_tx, rx) = watch::channel(false);
    let first = worker(&c.url, ident, Some(10)).run(rx.clone()).await.expect("worker");
    assert_eq!(first.accepted, 10);
    stop(c).await;

    let c = start(dir.path(), Duration::from_secs(60)).await;
    let op = OperatorClient::new(&c.url, TOKEN);
    let status = op.batch("r").await.expect("status after restart");
    assert_eq!(status.jobs.iter().filter(|j| j.state == JobState::Done).count(), 10);
    let ident = WorkerIdentity {
        worker_id: "w1".into(),
        key: WorkerIdentity::generate("x").key,
    };
    op.register_worker("w1", &ident.public_key_hex()).await.expect("re-key");
    let rest = worker(&c.url, ident, Some(created.jobs as u64 - 10))
        .run(rx)
        .await
        .expect("worker");
    assert_eq!(rest.accepted, created.jobs as u64 - 10);
    assert_eq!(op.batch("r").await.expect("status").batch.state, BatchState::Done);
    assert!(op
        .batch("r")
        .await
        .expect("status")
        .jobs
        .iter()
        .all(|j| j.completions == 1));
    stop(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn load_test_a_thousand_chunks_on_eight_workers_complete_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start(dir.path(), Duration::from_secs(60)).await;
    let op = OperatorClient::new(&c.url, TOKEN);
    let input: Vec<u8> = (0..64 * 1000u32).map(|i| (i % 253) as u8).collect();
    let created = op
        .submit("sha256-digest-tree", Some("load"), input)
        .await
        .expect("submit");
    assert_eq!(created.jobs, 1000 + 999 + 1);
    let (tx, rx) = watch::channel(false);
    let mut handles = Vec::new();
    for i in 0..8 {
        let w = worker(&c.url, registered_identity(&op, &format!("w{i}")).await, None);
        let rx = rx.clone();
        handles.push(tokio::spawn(async move { w.run(rx).await }));
    }
    assert_eq!(
        wait_batch(&op, "load", Duration::from_secs(240)).await,
        BatchState::Done
    );
    tx.send(true).expect("shutdown");
    let mut accepted = 0;
    let mut busy_workers = 0;
    for h in handles {
        let r = h.await.expect("join").expect("worker");
        accepted += r.accepted;
        busy_workers += usize::from(r.accepted > 0);
        assert_eq!(r.rejected, 0);
    }
    assert_eq!(accepted, 2000, "every job accepted exactly once");
    assert!(busy_workers >= 2, "work spread over the workers");
    let jobs = op.batch("load").await.expect("status").jobs;
    assert_eq!(jobs.len(), 2000);
    assert!(jobs.iter().all(|j| j.state == JobState::Done && j.completions == 1));
    stop(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_does_not_expire_while_the_coordinator_verifies_its_result() {
    // One-second leases, but the coordinator's first verification of an
    // aggregation proof builds the recursive circuit, which takes longer: the
    // coordinator must keep the submitter's lease alive meanwhile.
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start(dir.path(), Duration::from_secs(1)).await;
    let op = OperatorClient::new(&c.url, TOKEN);
    let input: Vec<u8> = (0..1500u32).map(|i| (i % 241) as u8).collect();
    op.submit("poseidon-commitment", Some("slow"), input.clone())
        .await
        .expect("submit");
    // Prove everything up front, so that each result is submitted right after its lease.
    let proofs = tokio::task::spawn_blocking(move || {
        let registry = PipelineRegistry::builtin();
        let p = registry.get("poseidon-commitment").expect("pipeline");
        let spec = |kind, level, index| JobSpec { kind, level, index };
        let c0 = p
            .run(&spec(JobKind::Chunk, 0, 0), &[input[..1024].to_vec()])
            .expect("chunk 0");
        let c1 = p
            .run(&spec(JobKind::Chunk, 0, 1), &[input[1024..].to_vec()])
            .expect("chunk 1");
        let agg = p
            .run(&spec(JobKind::Aggregate, 1, 0), &[c0.clone(), c1.clone()])
            .expect("aggregate");
        [c0, c1, agg]
    })
    .await
    .expect("join");
    let ident = registered_identity(&op, "w1").await;
    let mut client = WorkerClient::new(&c.url);
    client
        .authenticate(&ident, &default_capabilities())
        .await
        .expect("auth");
    for (kind, proof) in [JobKind::Chunk, JobKind::Chunk, JobKind::Aggregate]
        .into_iter()
        .zip(proofs)
    {
        let job = client.lease().await.expect("lease").expect("a ready job");
        assert_eq!(job.kind, kind, "{}", job.id);
        let started = tokio::time::Instant::now();
        let answer = client.submit(&job.id, proof).await;
        assert!(
            answer.as_ref().is_ok_and(|a| a.accepted),
            "{} after {:?} of verification: {answer:?}",
            job.id,
            started.elapsed()
        );
    }
    let metrics = op.metrics().await.expect("metrics");
    assert!(metrics.contains("zkr_lease_expiries_total 0"), "{metrics}");
    stop(c).await;
}
