//! The proving cluster as separate `zkr` processes on loopback: a worker
//! killed with SIGKILL mid-job while the batch completes on the other, a
//! worker's SIGTERM (release after the grace period, or finish the job), and
//! `zkr demo --cluster` end to end.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ZKR: &str = env!("CARGO_BIN_EXE_zkr");
/// Lease length given to the test coordinators.
const LEASE_SECS: &str = "3";

/// A `zkr` child process; killed (SIGKILL) on drop, so that a failing test
/// leaves nothing running. Its stderr goes to a log file, printed when the
/// test panics.
struct Proc {
    name: String,
    child: Child,
    lines: mpsc::Receiver<String>,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &str, dir: &Path, args: &[&str]) -> Proc {
        let log = dir.join(format!("{name}.log"));
        let mut child = Command::new(ZKR)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("starting zkr {args:?}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc {
            name: name.into(),
            child,
            lines,
            log,
        }
    }

    /// The rest of the first stdout line starting with `prefix`.
    fn line(&self, prefix: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.trim().to_string();
                    }
                }
                Err(e) => panic!("{} printed no {prefix:?} line ({e})", self.name),
            }
        }
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on a child we spawned and have not reaped.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "signal {signal} to {}", self.name);
    }

    /// Waits up to `limit` for the process to exit.
    fn exit_status(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "{} still runs after {limit:?}", self.name);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            eprintln!("--- {} stderr (last lines) ---", self.name);
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

/// Runs `zkr args` in `dir` to completion.
fn zkr(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(ZKR)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("running zkr {args:?}: {e}"));
    assert!(
        out.status.success(),
        "zkr {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `GET path` from `addr` (host:port) with an optional bearer token; the body of a 200 answer.
fn http_get(addr: &str, path: &str, token: Option<&str>) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "GET {path}: {head}");
    body.to_string()
}

/// A coordinator and the keys of the workers it authorises, as the CLI intends:
/// `zkr keys new` prints the `--authorize` argument for `zkr coordinator`.
struct Cluster {
    /// Held to be killed on drop; declared first so that it goes before the folder.
    _coordinator: Proc,
    dir: tempfile::TempDir,
    url: String,
    token: String,
}

impl Cluster {
    fn start(workers: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args = vec![
            "coordinator".to_string(),
            "--db".into(),
            format!("sqlite://{}", dir.path().join("jobs.sqlite").display()),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--blobs".into(),
            "blobs".into(),
            "--operator-token-file".into(),
            "operator.token".into(),
            "--lease-secs".into(),
            LEASE_SECS.into(),
        ];
        for id in workers {
            let out = zkr(dir.path(), &["keys", "new", "--id", id, "--out", &format!("{id}.key")]);
            let text = String::from_utf8_lossy(&out.stdout);
            let authorize = text
                .lines()
                .find_map(|l| l.strip_prefix("register it with: zkr coordinator --authorize "))
                .unwrap_or_else(|| panic!("zkr keys new printed no --authorize line: {text}"));
            args.extend(["--authorize".to_string(), authorize.trim().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let coordinator = Proc::spawn("coordinator", dir.path(), &args);
        let url = coordinator.line("coordinator listening on ", Duration::from_secs(30));
        let token = std::fs::read_to_string(dir.path().join("operator.token"))
            .expect("operator token")
            .trim()
            .to_string();
        Cluster {
            _coordinator: coordinator,
            dir,
            url,
            token,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Starts `zkr worker` for key `id` with its metrics on a free port; returns it and its metrics address.
    fn worker(&self, id: &str, grace_secs: &str) -> (Proc, String) {
        let p = Proc::spawn(
            id,
            self.path(),
            &[
                "worker",
                "--coordinator",
                &self.url,
                "--key",
                &format!("{id}.key"),
                "--metrics-listen",
                "127.0.0.1:0",
                "--poll-ms",
                "100",
                "--shutdown-grace-secs",
                grace_secs,
            ],
        );
        let metrics = p.line("worker metrics on ", Duration::from_secs(30));
        let addr = metrics
            .strip_prefix("http://")
            .and_then(|m| m.strip_suffix("/metrics"))
            .unwrap_or_else(|| panic!("unexpected metrics URL {metrics}"))
            .to_string();
        (p, addr)
    }

    /// Submits `bytes` as a one-file block folder with `zkr submit`; returns the batch id.
    fn submit(&self, bytes: &[u8]) -> String {
        let block = self.path().join("block");
        std::fs::create_dir_all(&block).expect("block folder");
        std::fs::write(block.join("input.bin"), bytes).expect("block file");
        let out = zkr(
            self.path(),
            &[
                "submit",
                "--pipeline",
                "poseidon-commitment",
                "--block",
                "block",
                "--coordinator",
                &self.url,
                "--token-file",
                "operator.token",
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.strip_prefix("batch ")
            .and_then(|t| t.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected zkr submit output: {text}"))
            .to_string()
    }

    /// `zkr status BATCH --json`.
    fn status(&self, batch: &str) -> Value {
        let out = zkr(
            self.path(),
            &[
                "status",
                batch,
                "--json",
                "--coordinator",
                &self.url,
                "--token-file",
                "operator.token",
            ],
        );
        serde_json::from_slice(&out.stdout).expect("status JSON")
    }

    /// Polls until some worker holds the lease of a job that takes seconds
    /// (wrap or aggregation: a chunk proof takes well under a second); returns
    /// the job id and its lease owner.
    fn long_lease(&self, batch: &str) -> (String, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let s = self.status(batch);
            assert_eq!(s["batch"]["state"], "running", "{s}");
            let held = s["jobs"]
                .as_array()
                .expect("jobs")
                .iter()
                .find(|j| j["state"] == "leased" && j["kind"] != "chunk" && j["lease_owner"].is_string());
            if let Some(j) = held {
                return (
                    j["id"].as_str().expect("id").into(),
                    j["lease_owner"].as_str().expect("owner").into(),
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no worker leased a wrap or aggregation job within a minute")
    }

    /// Polls until the batch is no longer running; returns its final status.
    fn wait_done(&self, batch: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let s = self.status(batch);
            if s["batch"]["state"] != "running" {
                return s;
            }
            assert!(Instant::now() < deadline, "batch still running after {limit:?}: {s}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The coordinator's Prometheus text (operator token required).
    fn metrics(&self) -> String {
        http_get(self.url.trim_start_matches("http://"), "/metrics", Some(&self.token))
    }

    /// One job's record, from `zkr status JOB_ID`.
    fn job(&self, id: &str) -> Value {
        let out = zkr(
            self.path(),
            &[
                "status",
                id,
                "--coordinator",
                &self.url,
                "--token-file",
                "operator.token",
            ],
        );
        serde_json::from_slice(&out.stdout).expect("job JSON")
    }
}

/// 1,000 bytes: one Poseidon chunk, so the batch is a chunk proof (well under
/// a second) and a recursive wrap proof of it (seconds: the worker builds the
/// wrap circuit and proves, then the coordinator builds it and verifies).
fn one_chunk_input() -> Vec<u8> {
    (0..1000u32).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn a_worker_killed_with_sigkill_mid_job_loses_its_lease_and_the_other_worker_completes_the_batch() {
    let cluster = Cluster::start(&["w1", "w2"]);
    let (w1, w1_metrics) = cluster.worker("w1", "60");
    let (w2, w2_metrics) = cluster.worker("w2", "60");
    let batch = cluster.submit(&one_chunk_input());
    let (job, owner) = cluster.long_lease(&batch);
    let (mut victim, survivor, survivor_metrics) = match owner.as_str() {
        "w1" => (w1, "w2", w2_metrics),
        "w2" => (w2, "w1", w1_metrics),
        other => panic!("lease held by unknown worker {other}"),
    };
    victim.child.kill().expect("SIGKILL");
    assert!(!victim.exit_status(Duration::from_secs(10)).success());

    let s = cluster.wait_done(&batch, Duration::from_secs(120));
    assert_eq!(s["batch"]["state"], "done", "{s}");
    let jobs = s["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 2, "a chunk and a wrap: {s}");
    for j in jobs {
        assert_eq!(j["state"], "done", "{j}");
        assert_eq!(j["completions"], 1, "every job completes exactly once: {j}");
    }
    let rec = cluster.job(&job);
    assert!(rec["attempts"].as_u64().expect("attempts") >= 2, "{rec}");
    let expired = format!("lease held by worker {owner} expired");
    assert!(
        rec["last_error"].as_str().unwrap_or("").contains(&expired),
        "the killed worker's lease expired and the job was re-queued: {rec}"
    );

    let metrics = cluster.metrics();
    assert!(metrics.contains("zkr_lease_expiries_total 1"), "{metrics}");
    assert!(
        metrics.contains(r#"zkr_job_retries_total{cause="expiry"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"zkr_jobs{kind="wrap",state="done"} 1"#), "{metrics}");
    // The survivor's own /metrics: it ran the killed worker's job, on the backend it reported.
    let kind = job.split('/').nth(1).expect("job kind");
    let worker_text = http_get(&survivor_metrics, "/metrics", None);
    assert!(
        worker_text.contains(&format!(
            r#"zkr_worker_jobs_total{{kind="{kind}",outcome="accepted"}} 1"#
        )),
        "{survivor}: {worker_text}"
    );
    assert!(
        worker_text.contains(r#"zkr_worker_backend{backend="CPU"#) || worker_text.contains(r#"backend="GPU"#),
        "{worker_text}"
    );
    assert!(
        worker_text.contains("zkr_worker_job_duration_seconds_count"),
        "{worker_text}"
    );
    assert!(
        worker_text.contains("zkr_worker_heartbeat_failures_total 0"),
        "{worker_text}"
    );
}

#[test]
fn sigterm_releases_the_lease_after_the_grace_period_or_finishes_the_job() {
    let cluster = Cluster::start(&["quick", "patient"]);
    let batch = cluster.submit(&one_chunk_input());
    // A worker with no shutdown grace gives its lease back at once.
    let (mut quick, _) = cluster.worker("quick", "0");
    let (job, owner) = cluster.long_lease(&batch);
    assert_eq!(owner, "quick");
    quick.signal(libc::SIGTERM);
    assert!(quick.exit_status(Duration::from_secs(10)).success());
    let stopped = quick.line("worker stopped: ", Duration::from_secs(5));
    assert!(stopped.ends_with("1 released"), "{stopped}");
    let rec = cluster.job(&job);
    assert_eq!(rec["state"], "ready", "the released job is back in the queue: {rec}");
    assert!(rec["lease_owner"].is_null(), "{rec}");

    // A worker with a grace period finishes the running job before it stops.
    let (mut patient, _) = cluster.worker("patient", "60");
    let (job2, owner) = cluster.long_lease(&batch);
    assert_eq!((job2.as_str(), owner.as_str()), (job.as_str(), "patient"));
    patient.signal(libc::SIGTERM);
    assert!(patient.exit_status(Duration::from_secs(90)).success());
    let stopped = patient.line("worker stopped: ", Duration::from_secs(5));
    assert!(stopped.starts_with("1 accepted"), "{stopped}");
    assert!(stopped.ends_with("0 released"), "{stopped}");
    let rec = cluster.job(&job);
    assert_eq!(rec["state"], "done", "the job finished during the grace period: {rec}");
    assert_eq!(rec["completions"], 1, "{rec}");
    let metrics = cluster.metrics();
    assert!(
        metrics.contains("zkr_lease_expiries_total 0"),
        "releases are not expiries: {metrics}"
    );
}

#[test]
fn zkr_demo_cluster_survives_a_killed_worker_and_verifies_the_final_proof() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(ZKR)
        .args(["demo", "--cluster"])
        .current_dir(&root)
        .output()
        .expect("run zkr demo --cluster");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "zkr demo --cluster failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let killed = stdout
        .lines()
        .find_map(|l| l.split_once("SIGKILL to ").map(|(_, rest)| rest))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the output names no killed worker:\n{stdout}"));
    assert!(killed.starts_with("worker-"), "{stdout}");
    assert!(
        stdout.contains(&format!("re-queued after {killed}'s lease expired")),
        "{stdout}"
    );
    let expiries = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("lease expiries"))
        .unwrap_or_else(|| panic!("no lease expiry line:\n{stdout}"));
    assert!(expiries.trim().parse::<f64>().expect("a number") >= 1.0, "{stdout}");
    assert!(stdout.contains("verify final proof     ok"), "{stdout}");
    assert!(stdout.contains("aggregated plonky2 proof of block"), "{stdout}");
}

/// A wrapping cluster's setup errors are told before anything runs: the
/// coordinator names an SRS file too small for its wrap size, a chain id
/// without an SRS is refused, and a worker names an SRS file it cannot read,
/// refuses to take wrap jobs without one, and names a job kind it does not know.
#[test]
fn a_wrapping_cluster_names_an_unusable_srs_before_it_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    zkr(d, &["keys", "srs", "--k", "5", "--out", "small.srs"]);
    zkr(d, &["keys", "new", "--id", "w1", "--out", "w1.key"]);
    let refused = |args: &[&str]| {
        let out = Command::new(ZKR).args(args).current_dir(d).output().expect("zkr runs");
        assert!(!out.status.success(), "zkr {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let coordinator = |extra: &[&str]| {
        let mut args = vec![
            "coordinator",
            "--db",
            "sqlite://jobs.sqlite",
            "--blobs",
            "blobs",
            "--operator-token-file",
            "op.token",
            "--listen",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        refused(&args)
    };
    let too_small = coordinator(&[
        "--wrap-chain-id",
        "679",
        "--wrap-srs",
        "small.srs",
        "--wrap-k",
        "6",
        "--wrap-lookup-bits",
        "4",
    ]);
    assert!(
        too_small.contains("small.srs") && too_small.contains("2^6"),
        "{too_small}"
    );
    let no_srs = coordinator(&["--wrap-chain-id", "679"]);
    assert!(no_srs.contains("--wrap-srs"), "{no_srs}");
    let missing = refused(&["worker", "--key", "w1.key", "--wrap-srs", "missing.srs"]);
    assert!(missing.contains("missing.srs"), "{missing}");
    let wrap_without_srs = refused(&["worker", "--key", "w1.key", "--kinds", "chunk,wrap"]);
    assert!(wrap_without_srs.contains("--wrap-srs"), "{wrap_without_srs}");
    let unknown_kind = refused(&["worker", "--key", "w1.key", "--kinds", "merge"]);
    assert!(unknown_kind.contains("unknown job kind \"merge\""), "{unknown_kind}");
}

/// `zkr submit` takes several `--block`s only for the `zkevm` pipeline (a
/// batch of consecutive blocks) and names a block it cannot load, before it
/// reaches any coordinator.
#[test]
fn zkr_submit_takes_several_blocks_only_as_a_zkevm_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = |args: &[&str]| {
        let out = Command::new(ZKR)
            .args(["submit", "--coordinator", "http://127.0.0.1:1"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("zkr runs");
        assert!(!out.status.success(), "zkr submit {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let two_folders = refused(&["--pipeline", "sha256-digest-tree", "--block", "a", "--block", "b"]);
    assert!(two_folders.contains("takes one --block folder"), "{two_folders}");
    let block = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/demo/counter-loop-block.json");
    let missing = refused(&["--block", block.to_str().expect("utf-8"), "--block", "missing.json"]);
    assert!(missing.contains("missing.json"), "{missing}");
}
