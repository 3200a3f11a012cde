//! The same store test-suite, run against SQLite and PostgreSQL.

use coordinator::job::{every_kind, now_ms, BatchRecord, BatchState, Capabilities, JobKind, JobState, Requirement};
use coordinator::planner::{plan, PlanShape};
use coordinator::store::{FailureOutcome, JobStore, PostgresStore, SqliteStore, StoreError};

fn cpu() -> Capabilities {
    Capabilities {
        backend: "cpu".into(),
        gpu: false,
        memory_mb: 4096,
        srs: None,
        kinds: every_kind(),
    }
}

/// CPU capabilities of a worker that takes only jobs of `kind`.
fn only(kind: JobKind) -> Capabilities {
    Capabilities {
        kinds: vec![kind],
        ..cpu()
    }
}

/// The SRS id GPU-only wraps of the suite's batches require.
const WRAP_SRS: u64 = 0x5a5a_0001;

fn add_batch(store: &dyn JobStore, id: &str, chunks: usize, gpu_wrap: bool, max_attempts: u32) -> BatchRecord {
    let mut requirements = [Requirement::default(); 3];
    requirements[2].needs_gpu = gpu_wrap;
    requirements[2].srs = gpu_wrap.then_some(WRAP_SRS);
    let shape = PlanShape {
        chunk_inputs: vec![(0..chunks).map(|i| format!("{id}-in{i}")).collect()],
        wrap: true,
        wrap_input: Some(format!("{id}-wrap")),
        requirements,
    };
    let p = plan(id, &shape).expect("plan");
    let batch = BatchRecord {
        id: id.into(),
        pipeline: "sha256-digest-tree".into(),
        state: BatchState::Running,
        root_job: p.root.clone(),
        chunks: chunks as u32,
        error: None,
        created_ms: now_ms(),
    };
    store.create_batch(&batch, &p.jobs, max_attempts).expect("create batch");
    batch
}

/// Leases and completes every job the worker can get, returning how many.
fn drain(store: &dyn JobStore, worker: &str, caps: &Capabilities) -> usize {
    let mut n = 0;
    while let Some(job) = store.lease(worker, caps, now_ms(), 60_000).expect("lease") {
        store
            .complete(&job.id, worker, &format!("out-{}", job.id), now_ms())
            .expect("complete");
        n += 1;
    }
    n
}

fn suite(store: &dyn JobStore) {
    // Planning: chunks start ready, everything else pending.
    let b = add_batch(store, "b1", 2, true, 2);
    assert!(matches!(add_batch_err(store), StoreError::DuplicateBatch(_)));
    let counts = store.counts().expect("counts");
    assert_eq!(counts.get(&(JobState::Ready, JobKind::Chunk)), Some(&2));
    assert_eq!(counts.get(&(JobState::Pending, JobKind::Aggregate)), Some(&1));

    // Leasing hands out the oldest ready job, with its input and attempt.
    let j0 = store
        .lease("w1", &cpu(), now_ms(), 60_000)
        .expect("lease")
        .expect("a job");
    assert_eq!(
        (j0.id.as_str(), j0.attempt, j0.inputs.clone()),
        ("b1/chunk/0/0", 1, vec!["b1-in0".to_string()])
    );
    assert_eq!(j0.pipeline, "sha256-digest-tree");
    assert!(matches!(
        store.heartbeat(&j0.id, "w2", now_ms()),
        Err(StoreError::NotLeaseHolder { .. })
    ));
    assert!(matches!(
        store.complete(&j0.id, "w2", "x", now_ms()),
        Err(StoreError::NotLeaseHolder { .. })
    ));
    store.heartbeat(&j0.id, "w1", now_ms() + 60_000).expect("heartbeat");

    // A reported failure re-queues while attempts remain.
    assert_eq!(store.fail(&j0.id, "w1", "boom").expect("fail"), FailureOutcome::Retried);
    let rec = store.job(&j0.id).expect("job").expect("exists");
    assert_eq!((rec.state, rec.last_error.as_deref()), (JobState::Ready, Some("boom")));

    // An expired lease is re-queued; release does not use up an attempt.
    let j = store.lease("w1", &cpu(), now_ms(), -1).expect("lease").expect("job");
    assert_eq!((j.id.as_str(), j.attempt), ("b1/chunk/0/0", 2));
    let rep = store.expire_leases(now_ms()).expect("expire");
    assert_eq!(
        rep.failed,
        vec!["b1/chunk/0/0".to_string()],
        "second attempt of two expired: the job fails"
    );
    let batch = store.batch("b1").expect("batch").expect("exists");
    assert_eq!(batch.state, BatchState::Failed);
    assert!(
        batch.error.as_deref().unwrap_or("").contains("expired"),
        "{:?}",
        batch.error
    );

    let j1 = store
        .lease("w1", &cpu(), now_ms(), 60_000)
        .expect("lease")
        .expect("job");
    assert_eq!(j1.id, "b1/chunk/0/1");
    store.release(&j1.id, "w1").expect("release");
    assert_eq!(store.job(&j1.id).expect("job").expect("exists").attempts, 0);

    // A second batch runs to completion; the GPU-only wrap waits for a GPU worker.
    let b2 = add_batch(store, "b2", 3, true, 3);
    store
        .lease("w1", &cpu(), now_ms(), 60_000)
        .expect("lease")
        .expect("job"); // b1/chunk/0/1 again
    let done = drain(store, "w1", &cpu());
    assert_eq!(done, 3 + 2, "three chunks and two aggregations of b2");
    let agg = store.job("b2/aggregate/1/0").expect("job").expect("exists");
    assert_eq!(agg.output_blob.as_deref(), Some("out-b2/aggregate/1/0"));
    assert_eq!(
        store.dependency_outputs("b2/aggregate/2/0").expect("deps"),
        vec!["out-b2/aggregate/1/0".to_string(), "out-b2/chunk/0/2".to_string()]
    );
    let gpu = Capabilities { gpu: true, ..cpu() };
    assert!(
        store.lease("w-gpu", &gpu, now_ms(), 60_000).expect("lease").is_none(),
        "the wrap's keys are on an SRS this worker does not hold"
    );
    let gpu = Capabilities {
        srs: Some(WRAP_SRS),
        ..gpu
    };
    let wrap = store
        .lease("w-gpu", &gpu, now_ms(), 60_000)
        .expect("lease")
        .expect("wrap for the GPU worker");
    assert_eq!(
        (wrap.kind, wrap.inputs.clone()),
        (
            JobKind::Wrap,
            vec!["b2-wrap".to_string(), "out-b2/aggregate/2/0".to_string()]
        ),
        "a wrap job reads its own input, then the root's output"
    );
    store.complete(&wrap.id, "w-gpu", "final", now_ms()).expect("complete");
    assert_eq!(
        store.batch(&b2.id).expect("batch").expect("exists").state,
        BatchState::Done
    );
    assert!(store
        .jobs(Some("b2"))
        .expect("jobs")
        .iter()
        .all(|j| j.completions == 1 && j.state == JobState::Done));
    assert_eq!(store.batches().expect("batches").len(), 2);
    assert_eq!(b.root_job, "b1/wrap/2/0");

    // Workers dedicated to one kind lease only that kind.
    let by_kind = add_batch(store, "by-kind", 2, false, 3);
    let wrap_only = only(JobKind::Wrap);
    assert!(store
        .lease("w-wrap", &wrap_only, now_ms(), 60_000)
        .expect("lease")
        .is_none());
    assert!(!wrap_only.satisfies(JobKind::Chunk, &Requirement::default()));
    assert_eq!(
        drain(store, "w-chunk", &only(JobKind::Chunk)),
        2,
        "both chunks, no aggregation"
    );
    assert_eq!(drain(store, "w-agg", &only(JobKind::Aggregate)), 1);
    let wrap = store
        .lease("w-wrap", &wrap_only, now_ms(), 60_000)
        .expect("lease")
        .expect("the wrap, once the root is done");
    assert_eq!(wrap.kind, JobKind::Wrap);
    assert!(wrap_only.satisfies(JobKind::Wrap, &Requirement::default()));
    store.complete(&wrap.id, "w-wrap", "final", now_ms()).expect("complete");
    assert_eq!(
        store.batch(&by_kind.id).expect("batch").expect("exists").state,
        BatchState::Done
    );

    // Workers: registration, counting, revocation.
    store.register_worker("w1", "aa").expect("register");
    store.count_result("w1", false).expect("count");
    store.count_result("w1", true).expect("count");
    assert!(store.revoke_worker("w1").expect("revoke"));
    assert!(!store.revoke_worker("nobody").expect("revoke"));
    let w = store.worker("w1").expect("worker").expect("exists");
    assert_eq!((w.revoked, w.accepted, w.rejected), (true, 1, 1));
    store.register_worker("w1", "bb").expect("re-register");
    assert!(!store.worker("w1").expect("worker").expect("exists").revoked);
}

fn add_batch_err(store: &dyn JobStore) -> StoreError {
    let p = plan(
        "b1",
        &PlanShape {
            chunk_inputs: vec![vec!["x".into()]],
            wrap: false,
            wrap_input: None,
            requirements: [Requirement::default(); 3],
        },
    )
    .expect("plan");
    let batch = BatchRecord {
        id: "b1".into(),
        pipeline: "p".into(),
        state: BatchState::Running,
        root_job: p.root.clone(),
        chunks: 1,
        error: None,
        created_ms: 0,
    };
    store
        .create_batch(&batch, &p.jobs, 1)
        .expect_err("duplicate batch must fail")
}

#[test]
fn sqlite_store_passes_the_store_suite_and_survives_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("jobs.sqlite");
    let path = path.to_str().expect("utf-8 path");
    suite(&SqliteStore::open(path).expect("open"));
    let reopened = SqliteStore::open(path).expect("reopen");
    assert_eq!(
        reopened.batches().expect("batches").len(),
        3,
        "a reopened store keeps every batch"
    );
    // A database from before the SRS requirement gains its column on opening.
    drop(reopened);
    let old = rusqlite::Connection::open(path).expect("open the file");
    old.execute("ALTER TABLE jobs DROP COLUMN srs", [])
        .expect("drop the column");
    drop(old);
    gains_the_srs_column(&SqliteStore::open(path).expect("open an older database"));
}

/// Checks a store opened on a suite's database whose `jobs` table had lost
/// its `srs` column: the jobs read back, and new ones keep their SRS.
fn gains_the_srs_column(upgraded: &dyn JobStore) {
    let wrap = upgraded.job("b2/wrap/3/0").expect("job").expect("exists");
    assert_eq!((wrap.state, wrap.requirement.srs), (JobState::Done, None));
    add_batch(upgraded, "b3", 1, true, 3);
    let wrap = upgraded.job("b3/wrap/1/0").expect("job").expect("exists");
    assert_eq!(wrap.requirement.srs, Some(WRAP_SRS));
}

#[test]
fn postgres_store_passes_the_store_suite() {
    let url = std::env::var("ZKR_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("ZKR_TEST_POSTGRES_URL is not set: run scripts/test, which starts PostgreSQL and exports it (e.g. postgres://zkr:zkr@127.0.0.1:5432/zkr_test)")
    });
    // A fresh schema per run keeps concurrent test runs apart.
    let schema = format!("zkr_test_{:016x}", rand_suffix());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at ZKR_TEST_POSTGRES_URL ({url}): {e}"));
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("create schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-csearch_path%3D{schema}");
    suite(&PostgresStore::connect(&scoped).expect("connect"));
    admin
        .batch_execute(&format!("ALTER TABLE {schema}.jobs DROP COLUMN srs"))
        .expect("drop the column");
    gains_the_srs_column(&PostgresStore::connect(&scoped).expect("connect to an older database"));
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .expect("drop schema");
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id())
}
