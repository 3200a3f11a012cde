//! `zkr demo --cluster`: a coordinator and two worker processes on loopback
//! prove the zkEVM demo block (execution and chunking on the coordinator,
//! chunk and aggregation proofs on the workers); one worker is killed with
//! SIGKILL while it holds a lease, and the batch must still complete on the
//! other. Prints one row per stage and a summary of the coordinator's metrics.

use super::{print_stages, timed, StageReport};
use anyhow::Context;
use coordinator::auth::{random_token, WorkerIdentity};
use coordinator::client::OperatorClient;
use coordinator::job::{BatchState, JobKind, JobState};
use prover::zkevm::aggregate::{verify_aggregated, AggregatedProof, Circuits, VerifierData};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Lease length of the demo coordinator: short, so that the killed worker's
/// lease expires quickly (workers heartbeat every third of it).
const LEASE_SECS: u64 = 5;
/// Longest the demo waits for the batch.
const PROVE_LIMIT: Duration = Duration::from_secs(300);
/// Longest a child may take to print its startup line.
const START_LIMIT: Duration = Duration::from_secs(30);
/// The pipeline that proves the block.
const PIPELINE: &str = "zkevm";
/// The batch id.
const BATCH: &str = "demo-block";

/// A child process of the demo, killed (SIGKILL) when dropped if still running.
struct Process {
    name: String,
    child: Child,
    log: PathBuf,
    lines: mpsc::Receiver<String>,
}

impl Process {
    /// Starts this executable with `args`, stderr to `<dir>/<name>.log`.
    fn spawn(name: &str, args: &[String], dir: &Path) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the zkr executable")?;
        let log = dir.join(format!("{name}.log"));
        let stderr = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut child = Command::new(&exe)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {} {}", exe.display(), args.join(" ")))?;
        let stdout = child.stdout.take().context("child stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            name: name.into(),
            child,
            log,
            lines,
        })
    }

    /// The rest of the first stdout line starting with `prefix`.
    fn wait_for_line(&mut self, prefix: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + START_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Ok(rest.trim().to_string());
                    }
                }
                Err(_) => anyhow::bail!(
                    "{} did not print {prefix:?} within {START_LIMIT:?}; its log: {}",
                    self.name,
                    self.log_tail()
                ),
            }
        }
    }

    /// The last lines of its stderr log.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }

    /// Sends SIGTERM and waits up to `limit` for a clean exit (SIGKILL after that).
    fn terminate(&mut self, limit: Duration) -> anyhow::Result<()> {
        // SAFETY: kill(2) with a pid we spawned and have not reaped yet.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                anyhow::ensure!(status.success(), "{} exited with {status}", self.name);
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill()?;
        self.child.wait()?;
        anyhow::bail!("{} did not stop within {limit:?} of SIGTERM", self.name)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The running cluster; dropping it kills whatever still runs.
struct Cluster {
    /// Coordinator base URL.
    url: String,
    /// Operator bearer token.
    token: String,
    coordinator: Process,
    /// Worker id, its process (None once killed), its metrics URL.
    workers: Vec<(String, Option<Process>, String)>,
}

/// The zkEVM demo block and its batch input.
fn demo_block() -> anyhow::Result<((executor::BlockInput, Vec<u8>), String)> {
    let block = super::zkevm_demo_block();
    let input = coordinator::pipeline::ZkevmBatchInput::new(vec![block.clone()]).to_bytes();
    let detail = format!(
        "counter-loop block {}: {} calls, {} bytes of batch input",
        block.header.number,
        block.transactions.len(),
        input.len()
    );
    Ok(((block, input), detail))
}

/// Checks the batch's final output: an aggregated proof whose chunks are
/// exactly the chunks of the demo block (as this process cuts them) and
/// which verifies against circuits rebuilt from them.
fn verify_final(block: &executor::BlockInput, output: &[u8]) -> anyhow::Result<String> {
    let proof = AggregatedProof::from_bytes(output)?;
    let expected: Vec<_> = super::zkevm_demo_chunks(block)?
        .into_iter()
        .map(|c| c.statement)
        .collect();
    let proven: Vec<_> = proof.chunks.iter().map(|c| c.statement.clone()).collect();
    anyhow::ensure!(
        proven == expected,
        "the final proof's chunk statements are not those of the demo block"
    );
    anyhow::ensure!(
        proof.block == block.header.number,
        "the final proof is for block {}",
        proof.block
    );
    let data = VerifierData::for_chunks(&mut Circuits::new(), &proof.chunks)?;
    verify_aggregated(&proof, &data)?;
    Ok(format!(
        "{} KiB aggregated plonky2 proof of block {} (transactions {}..{}, {} steps in {} chunks) verifies against circuits rebuilt here",
        output.len().div_ceil(1024),
        proof.block,
        proof.first_tx,
        proof.end_tx,
        proof.steps,
        proof.num_chunks()
    ))
}

/// Writes the operator token and two worker keys into `dir`, then starts the
/// coordinator (authorising both keys) and the two workers.
fn start_cluster(dir: &Path) -> anyhow::Result<Cluster> {
    let token = random_token();
    let token_file = dir.join("operator.token");
    std::fs::write(&token_file, &token).with_context(|| format!("writing {}", token_file.display()))?;
    let mut workers = Vec::new();
    let mut authorize = Vec::new();
    for id in ["worker-1", "worker-2"] {
        let identity = WorkerIdentity::generate(id);
        let key = dir.join(format!("{id}.key"));
        identity.save(&key)?;
        authorize.extend(["--authorize".to_string(), format!("{id}={}", identity.public_key_hex())]);
        workers.push((id.to_string(), key));
    }
    let path = |p: PathBuf| p.display().to_string();
    let mut args: Vec<String> = vec![
        "coordinator".into(),
        "--db".into(),
        format!("sqlite://{}", path(dir.join("jobs.sqlite"))),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--blobs".into(),
        path(dir.join("blobs")),
        "--operator-token-file".into(),
        path(token_file),
        "--lease-secs".into(),
        LEASE_SECS.to_string(),
        "--zkevm-chunk-rows-log".into(),
        super::ZKEVM_DEMO_ROWS_LOG.to_string(),
    ];
    args.extend(authorize);
    let mut coordinator = Process::spawn("coordinator", &args, dir)?;
    let url = coordinator.wait_for_line("coordinator listening on ")?;
    let mut running = Vec::new();
    for (id, key) in workers {
        let args: Vec<String> = vec![
            "worker".into(),
            "--coordinator".into(),
            url.clone(),
            "--key".into(),
            path(key),
            "--metrics-listen".into(),
            "127.0.0.1:0".into(),
            "--poll-ms".into(),
            "100".into(),
            "--shutdown-grace-secs".into(),
            "5".into(),
        ];
        let mut p = Process::spawn(&id, &args, dir)?;
        let metrics = p.wait_for_line("worker metrics on ")?;
        running.push((id, Some(p), metrics));
    }
    Ok(Cluster {
        url,
        token,
        coordinator,
        workers: running,
    })
}

/// Waits until a worker holds the lease of an aggregation or wrap job (the
/// last jobs of the batch, so the other worker is free to take it over) and
/// kills it with SIGKILL.
/// Returns the worker's id and the job.
async fn kill_a_lease_holder(cluster: &mut Cluster, op: &OperatorClient) -> anyhow::Result<(String, String)> {
    let deadline = Instant::now() + PROVE_LIMIT;
    while Instant::now() < deadline {
        let status = op.batch(BATCH).await?;
        anyhow::ensure!(
            status.batch.state == BatchState::Running,
            "the batch is {} before any worker could be killed",
            status.batch.state.as_str()
        );
        let held = status
            .jobs
            .iter()
            .find(|j| j.state == JobState::Leased && j.kind != JobKind::Chunk);
        if let Some(job) = held {
            let owner = job.lease_owner.clone().unwrap_or_default();
            if let Some((_, slot, _)) = cluster.workers.iter_mut().find(|(id, _, _)| *id == owner) {
                if let Some(mut p) = slot.take() {
                    p.child.kill().with_context(|| format!("killing {owner}"))?;
                    p.child.wait()?;
                    return Ok((owner, job.id.clone()));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("no worker held a lease within {PROVE_LIMIT:?}")
}

/// Waits for the batch and checks that every job completed exactly once and
/// that the killed worker's job was re-queued after its lease expired.
async fn await_batch(op: &OperatorClient, killed: &str, job: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + PROVE_LIMIT;
    let status = loop {
        let s = op.batch(BATCH).await?;
        if s.batch.state != BatchState::Running {
            break s;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the batch did not finish within {PROVE_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    anyhow::ensure!(
        status.batch.state == BatchState::Done,
        "the batch failed: {}",
        status.batch.error.unwrap_or_default()
    );
    let twice: Vec<&str> = status
        .jobs
        .iter()
        .filter(|j| j.state != JobState::Done || j.completions != 1)
        .map(|j| j.id.as_str())
        .collect();
    anyhow::ensure!(
        twice.is_empty(),
        "jobs not completed exactly once: {}",
        twice.join(", ")
    );
    let rec = status
        .jobs
        .iter()
        .find(|j| j.id == job)
        .with_context(|| format!("job {job} missing from the batch"))?;
    let expired = format!("lease held by worker {killed} expired");
    anyhow::ensure!(
        rec.attempts >= 2 && rec.last_error.as_deref().is_some_and(|e| e.contains(&expired)),
        "job {job} was not re-queued after {killed}'s lease expired (attempts {}, last error {:?})",
        rec.attempts,
        rec.last_error
    );
    Ok(format!(
        "{} jobs done, each exactly once; {job} re-queued after {killed}'s lease expired (attempt {})",
        status.jobs.len(),
        rec.attempts
    ))
}

/// `(labels, value)` of every sample of metric `name` in Prometheus text.
fn samples<'a>(text: &'a str, name: &str) -> Vec<(&'a str, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            let labels = match key.strip_prefix(name)? {
                "" => "",
                rest => rest.strip_prefix('{')?.strip_suffix('}')?,
            };
            Some((labels, value.parse().ok()?))
        })
        .collect()
}

/// Sum of every sample of metric `name`.
fn total(text: &str, name: &str) -> f64 {
    samples(text, name).iter().fold(0.0, |sum, (_, v)| sum + v)
}

/// The metrics summary printed after the table.
fn metrics_summary(coordinator: &str, survivor: &str, survivor_metrics: &str) -> String {
    let mut out = String::from("coordinator metrics:\n");
    let jobs: Vec<String> = samples(coordinator, "zkr_jobs")
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(labels, v)| format!("{labels} {v}"))
        .collect();
    out += &format!("  jobs by state and kind   {}\n", jobs.join("; "));
    out += &format!(
        "  lease expiries           {}\n",
        total(coordinator, "zkr_lease_expiries_total")
    );
    let retries: Vec<String> = samples(coordinator, "zkr_job_retries_total")
        .into_iter()
        .map(|(labels, v)| format!("{labels} {v}"))
        .collect();
    out += &format!(
        "  retries                  {} ({})\n",
        total(coordinator, "zkr_job_retries_total"),
        retries.join("; ")
    );
    out += &format!(
        "  rejected proofs          {}\n",
        total(coordinator, "zkr_rejected_proofs_total")
    );
    for kind in JobKind::ALL {
        let kind = kind.as_str();
        let label = format!("kind=\"{kind}\"");
        let pick = |name: &str| {
            samples(coordinator, name)
                .into_iter()
                .find(|(l, _)| *l == label)
                .map(|(_, v)| v)
                .unwrap_or(0.0)
        };
        let (count, sum) = (
            pick("zkr_job_duration_seconds_count"),
            pick("zkr_job_duration_seconds_sum"),
        );
        if count > 0.0 {
            out += &format!("  {kind:<9} lease to accept  {count} jobs, mean {:.2} s\n", sum / count);
        }
    }
    let jobs: Vec<String> = samples(survivor_metrics, "zkr_worker_jobs_total")
        .into_iter()
        .map(|(labels, v)| format!("{labels} {v}"))
        .collect();
    let backend: Vec<&str> = samples(survivor_metrics, "zkr_worker_backend")
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(l, _)| l)
        .collect();
    out += &format!(
        "{survivor} metrics:\n  backend                  {}\n",
        backend.join(", ")
    );
    out += &format!("  jobs                     {}\n", jobs.join("; "));
    out
}

/// Fetches a worker's metrics (plain HTTP GET, no authentication).
fn worker_metrics(url: &str) -> anyhow::Result<String> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").context("metrics URL is not http")?;
    let (addr, path) = rest.split_once('/').context("metrics URL has no path")?;
    let mut s = std::net::TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET /{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut body = String::new();
    s.read_to_string(&mut body)?;
    let (head, body) = body.split_once("\r\n\r\n").context("malformed HTTP answer")?;
    anyhow::ensure!(head.starts_with("HTTP/1.1 200"), "{url} answered {head}");
    Ok(body.to_string())
}

/// Runs `f` as stage `name`, recording its report; an error stops the demo.
fn stage<T>(
    reports: &mut Vec<StageReport>,
    name: &'static str,
    f: impl FnOnce() -> anyhow::Result<(T, String)>,
) -> anyhow::Result<T> {
    let mut value = None;
    reports.push(timed(name, || {
        let (v, detail) = f()?;
        value = Some(v);
        Ok(detail)
    }));
    value.with_context(|| format!("stage {name:?} failed"))
}

/// The stages, up to the first failure; returns the metrics summary.
fn run_stages(dir: &Path, reports: &mut Vec<StageReport>) -> anyhow::Result<String> {
    let rt = tokio::runtime::Runtime::new()?;
    let mut cluster = stage(reports, "start cluster", || {
        let c = start_cluster(dir)?;
        let detail = format!(
            "coordinator {} (SQLite, {LEASE_SECS} s leases), workers {}",
            c.url,
            c.workers.iter().map(|w| w.0.as_str()).collect::<Vec<_>>().join(", ")
        );
        Ok((c, detail))
    })?;
    let op = OperatorClient::new(&cluster.url, &cluster.token);
    let (block, input) = stage(reports, "build demo block", demo_block)?;
    stage(reports, "submit batch", || {
        let created = rt.block_on(op.submit(PIPELINE, Some(BATCH), input.clone()))?;
        let detail = format!("{PIPELINE}: {} chunks, {} jobs", created.batch.chunks, created.jobs);
        Ok(((), detail))
    })?;
    let (killed, job) = stage(reports, "kill a worker", || {
        let (worker, job) = rt.block_on(kill_a_lease_holder(&mut cluster, &op))?;
        let detail = format!("SIGKILL to {worker} while it held the lease of {job}");
        Ok(((worker, job), detail))
    })?;
    stage(reports, "prove batch", || {
        Ok(((), rt.block_on(await_batch(&op, &killed, &job))?))
    })?;
    stage(reports, "verify final proof", || {
        let output = rt.block_on(op.output(BATCH))?;
        Ok(((), verify_final(&block, &output)?))
    })?;
    let summary = stage(reports, "collect metrics", || {
        let coordinator = rt.block_on(op.metrics())?;
        let expiries = total(&coordinator, "zkr_lease_expiries_total");
        anyhow::ensure!(expiries >= 1.0, "the coordinator's metrics show no lease expiry");
        let (id, _, url) = cluster
            .workers
            .iter()
            .find(|w| w.1.is_some())
            .context("no worker survived")?;
        let survivor = worker_metrics(url)?;
        let detail = format!("coordinator /metrics: {expiries} lease expiry; {id} /metrics scraped");
        Ok((metrics_summary(&coordinator, id, &survivor), detail))
    })?;
    stage(reports, "stop cluster", || {
        for (_, p, _) in cluster.workers.iter_mut() {
            if let Some(p) = p {
                p.terminate(Duration::from_secs(10))?;
            }
        }
        cluster.coordinator.terminate(Duration::from_secs(10))?;
        Ok((
            (),
            "SIGTERM: the surviving worker and the coordinator exited cleanly".into(),
        ))
    })?;
    Ok(summary)
}

/// Runs `zkr demo --cluster`: exit 0 only when every stage succeeded.
pub fn run() -> anyhow::Result<ExitCode> {
    let dir = tempfile::Builder::new()
        .prefix("zkr-demo-cluster-")
        .tempdir()
        .context("creating a temporary folder")?;
    let mut reports = Vec::new();
    // The cluster's processes are killed when `run_stages` returns, whatever happened.
    let outcome = run_stages(dir.path(), &mut reports);
    let failed = print_stages(&reports);
    match outcome {
        Ok(summary) if !failed => {
            print!("{summary}");
            println!("outcome: the batch completed on the surviving worker and its final proof verifies");
            Ok(ExitCode::SUCCESS)
        }
        Ok(_) => Ok(ExitCode::FAILURE),
        Err(e) => {
            println!("outcome: FAILED: {e:#}");
            Ok(ExitCode::FAILURE)
        }
    }
}
