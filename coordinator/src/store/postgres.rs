//! [`JobStore`] on PostgreSQL, for a cluster whose coordinators share one
//! database. Leasing takes the next ready row with `FOR UPDATE SKIP LOCKED`,
//! so concurrent coordinators never hand out the same job.

use super::schema::{self, RawBatch, RawJob};
use super::{ExpiryReport, FailureOutcome, JobCounts, JobStore, StoreError, WorkerRecord};
use crate::job::{BatchRecord, Capabilities, JobRecord, LeasedJob, NewJob};
use postgres::{Client, NoTls, Row, Transaction};
use std::sync::Mutex;

/// A job store in a PostgreSQL database.
pub struct PostgresStore {
    client: Mutex<Client>,
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError::Database(match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        })
    }
}

fn raw_job(row: &Row) -> RawJob {
    RawJob {
        id: row.get(0),
        batch_id: row.get(1),
        kind: row.get(2),
        level: row.get(3),
        idx: row.get(4),
        state: row.get(5),
        input_blob: row.get(6),
        output_blob: row.get(7),
        attempts: row.get(8),
        max_attempts: row.get(9),
        lease_owner: row.get(10),
        lease_deadline_ms: row.get(11),
        last_error: row.get(12),
        completions: row.get(13),
        needs_gpu: row.get(14),
        min_memory_mb: row.get(15),
        srs: row.get(16),
    }
}

fn raw_batch(row: &Row) -> RawBatch {
    RawBatch {
        id: row.get(0),
        pipeline: row.get(1),
        state: row.get(2),
        root_job: row.get(3),
        chunks: row.get(4),
        error: row.get(5),
        created_ms: row.get(6),
    }
}

/// Locks the job row and checks that `worker` holds its lease; returns (attempts, max_attempts, batch_id).
fn check_holder(tx: &mut Transaction<'_>, job: &str, worker: &str) -> Result<(i64, i64, String), StoreError> {
    let row = tx.query_opt(
        "SELECT state, lease_owner, attempts, max_attempts, batch_id FROM jobs WHERE id = $1 FOR UPDATE",
        &[&job],
    )?;
    let Some(row) = row else {
        return Err(StoreError::UnknownJob(job.into()));
    };
    let state: String = row.get(0);
    let owner: Option<String> = row.get(1);
    if state == "leased" && owner.as_deref() == Some(worker) {
        Ok((row.get(2), row.get(3), row.get(4)))
    } else {
        Err(StoreError::NotLeaseHolder {
            job: job.into(),
            worker: worker.into(),
        })
    }
}

fn fail_for_good(tx: &mut Transaction<'_>, job: &str, batch: &str, message: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_deadline_ms = NULL, last_error = $1 WHERE id = $2",
        &[&message, &job],
    )?;
    tx.execute(
        "UPDATE batches SET state = 'failed', error = $1 WHERE id = $2 AND state = 'running'",
        &[&message, &batch],
    )?;
    Ok(())
}

impl PostgresStore {
    /// Connects to `url` (a libpq-style `postgres://` URL) and creates the schema if missing.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let mut client = Client::connect(url, NoTls)
            .map_err(|e| StoreError::Database(format!("connecting to PostgreSQL at {}: {e}", redact(url))))?;
        // Serialise schema creation between coordinators starting together.
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock(7268001)", &[])?;
        for stmt in schema::CREATE {
            tx.execute(*stmt, &[])?;
        }
        for (column, kind) in schema::ADDED_JOB_COLUMNS {
            tx.execute(
                &format!("ALTER TABLE jobs ADD COLUMN IF NOT EXISTS {column} {kind}"),
                &[],
            )?;
        }
        tx.commit()?;
        Ok(Self {
            client: Mutex::new(client),
        })
    }

    fn client(&self) -> std::sync::MutexGuard<'_, Client> {
        // An interrupted transaction is rolled back when dropped, so the client stays usable.
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

impl JobStore for PostgresStore {
    fn create_batch(&self, batch: &BatchRecord, jobs: &[NewJob], max_attempts: u32) -> Result<(), StoreError> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // Job sequence numbers are allocated under one lock so that they stay unique.
        tx.execute("SELECT pg_advisory_xact_lock(7268002)", &[])?;
        if tx
            .query_opt("SELECT id FROM batches WHERE id = $1", &[&batch.id])?
            .is_some()
        {
            return Err(StoreError::DuplicateBatch(batch.id.clone()));
        }
        tx.execute(
            "INSERT INTO batches (id, pipeline, state, root_job, chunks, error, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&batch.id, &batch.pipeline, &batch.state.as_str(), &batch.root_job, &(batch.chunks as i64), &batch.error, &batch.created_ms],
        )?;
        let first_seq: i64 = tx.query_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs", &[])?.get(0);
        let insert_job = tx.prepare(
            "INSERT INTO jobs (id, seq, batch_id, kind, level, idx, state, input_blob, max_attempts, needs_gpu, min_memory_mb, srs)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )?;
        let insert_dep = tx.prepare("INSERT INTO job_deps (job_id, dep_id, position) VALUES ($1, $2, $3)")?;
        for (i, job) in jobs.iter().enumerate() {
            let state = if job.deps.is_empty() { "ready" } else { "pending" };
            tx.execute(
                &insert_job,
                &[
                    &job.id,
                    &(first_seq + i as i64),
                    &batch.id,
                    &job.kind.as_str(),
                    &(job.level as i64),
                    &(job.index as i64),
                    &state,
                    &job.input_blob,
                    &(max_attempts as i64),
                    &i64::from(job.requirement.needs_gpu),
                    &(job.requirement.min_memory_mb as i64),
                    &schema::srs_column(job.requirement.srs),
                ],
            )?;
            for (pos, dep) in job.deps.iter().enumerate() {
                tx.execute(&insert_dep, &[&job.id, dep, &(pos as i64)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn lease(
        &self,
        worker: &str,
        caps: &Capabilities,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<LeasedJob>, StoreError> {
        let kinds = schema::kind_params(&caps.kinds);
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let row = tx.query_opt(
            "SELECT j.id, j.batch_id, j.kind, j.level, j.idx, j.attempts, j.input_blob
             FROM jobs j
             WHERE j.state = 'ready' AND (j.needs_gpu = 0 OR $1::BIGINT = 1) AND j.min_memory_mb <= $2::BIGINT
               AND (j.srs IS NULL OR j.srs = $3::BIGINT) AND j.kind IN ($4::TEXT, $5::TEXT, $6::TEXT)
             ORDER BY j.seq LIMIT 1
             FOR UPDATE SKIP LOCKED",
            &[
                &i64::from(caps.gpu),
                &(caps.memory_mb as i64),
                &schema::srs_column(caps.srs),
                &kinds[0],
                &kinds[1],
                &kinds[2],
            ],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        let id: String = row.get(0);
        let batch_id: String = row.get(1);
        let kind: String = row.get(2);
        let attempts: i64 = row.get(5);
        let input_blob: Option<String> = row.get(6);
        let deadline = now_ms + lease_ms;
        tx.execute(
            "UPDATE jobs SET state = 'leased', attempts = attempts + 1, lease_owner = $1, lease_deadline_ms = $2 WHERE id = $3",
            &[&worker, &deadline, &id],
        )?;
        let pipeline: String = tx
            .query_one("SELECT pipeline FROM batches WHERE id = $1", &[&batch_id])?
            .get(0);
        let mut inputs: Vec<String> = input_blob.into_iter().collect();
        for dep in tx.query(
            "SELECT j.output_blob FROM job_deps d JOIN jobs j ON j.id = d.dep_id WHERE d.job_id = $1 ORDER BY d.position",
            &[&id],
        )? {
            let out: Option<String> = dep.get(0);
            inputs.push(out.ok_or_else(|| StoreError::CorruptRow {
                table: "jobs",
                detail: format!("job {id} is ready but a dependency has no output"),
            })?);
        }
        tx.commit()?;
        Ok(Some(LeasedJob {
            kind: super::parse_col("jobs", &kind)?,
            level: row.get::<_, i64>(3) as u32,
            index: row.get::<_, i64>(4) as u32,
            id,
            batch_id,
            pipeline,
            inputs,
            attempt: attempts as u32 + 1,
            lease_deadline_ms: deadline,
        }))
    }

    fn heartbeat(&self, job: &str, worker: &str, deadline_ms: i64) -> Result<(), StoreError> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        check_holder(&mut tx, job, worker)?;
        tx.execute(
            "UPDATE jobs SET lease_deadline_ms = $1 WHERE id = $2",
            &[&deadline_ms, &job],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn complete(&self, job: &str, worker: &str, output_blob: &str, _now_ms: i64) -> Result<(), StoreError> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let (_, _, batch) = check_holder(&mut tx, job, worker)?;
        tx.execute(
            "UPDATE jobs SET state = 'done', output_blob = $1, completions = completions + 1, lease_owner = NULL,
             lease_deadline_ms = NULL WHERE id = $2",
            &[&output_blob, &job],
        )?;
        tx.execute(schema::PROMOTE_DEPENDENTS, &[&job])?;
        tx.execute(
            "UPDATE batches SET state = 'done' WHERE id = $1 AND root_job = $2 AND state = 'running'",
            &[&batch, &job],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn fail(&self, job: &str, worker: &str, reason: &str) -> Result<FailureOutcome, StoreError> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let (attempts, max, batch) = check_holder(&mut tx, job, worker)?;
        let outcome = if attempts < max {
            tx.execute(
                "UPDATE jobs SET state = 'ready', lease_owner = NULL, lease_deadline_ms = NULL, last_error = $1 WHERE id = $2",
                &[&reason, &job],
            )?;
            FailureOutcome::Retried
        } else {
            fail_for_good(&mut tx, job, &batch, &schema::batch_failure(job, attempts, reason))?;
            FailureOutcome::Failed
        };
        tx.commit()?;
        Ok(outcome)
    }

    fn release(&self, job: &str, worker: &str) -> Result<(), StoreError> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        check_holder(&mut tx, job, worker)?;
        tx.execute(
            "UPDATE jobs SET state = 'ready', attempts = GREATEST(attempts - 1, 0), lease_owner = NULL,
             lease_deadline_ms = NULL WHERE id = $1",
            &[&job],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn expire_leases(&self, now_ms: i64) -> Result<ExpiryReport, StoreError> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let expired = tx.query(
            "SELECT id, attempts, max_attempts, lease_owner, batch_id FROM jobs
             WHERE state = 'leased' AND lease_deadline_ms < $1 ORDER BY seq FOR UPDATE SKIP LOCKED",
            &[&now_ms],
        )?;
        let mut report = ExpiryReport::default();
        for row in expired {
            let id: String = row.get(0);
            let attempts: i64 = row.get(1);
            let max: i64 = row.get(2);
            let owner: Option<String> = row.get(3);
            let batch: String = row.get(4);
            let reason = format!("lease held by worker {} expired", owner.as_deref().unwrap_or("?"));
            if attempts < max {
                tx.execute(
                    "UPDATE jobs SET state = 'ready', lease_owner = NULL, lease_deadline_ms = NULL, last_error = $1 WHERE id = $2",
                    &[&reason, &id],
                )?;
                report.requeued.push(id);
            } else {
                fail_for_good(&mut tx, &id, &batch, &schema::batch_failure(&id, attempts, &reason))?;
                report.failed.push(id);
            }
        }
        tx.commit()?;
        Ok(report)
    }

    fn job(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        let row = self.client().query_opt(
            &format!("SELECT {} FROM jobs WHERE id = $1", schema::JOB_COLUMNS),
            &[&id],
        )?;
        row.map(|r| raw_job(&r).into_record()).transpose()
    }

    fn dependency_outputs(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let rows = self.client().query(
            "SELECT j.output_blob FROM job_deps d JOIN jobs j ON j.id = d.dep_id WHERE d.job_id = $1 ORDER BY d.position",
            &[&id],
        )?;
        rows.iter()
            .map(|r| {
                r.get::<_, Option<String>>(0).ok_or_else(|| StoreError::CorruptRow {
                    table: "jobs",
                    detail: format!("a dependency of job {id} has no output"),
                })
            })
            .collect()
    }

    fn jobs(&self, batch: Option<&str>) -> Result<Vec<JobRecord>, StoreError> {
        let rows = self.client().query(
            &format!(
                "SELECT {} FROM jobs WHERE ($1::TEXT IS NULL OR batch_id = $1) ORDER BY seq",
                schema::JOB_COLUMNS
            ),
            &[&batch],
        )?;
        rows.iter().map(|r| raw_job(r).into_record()).collect()
    }

    fn batch(&self, id: &str) -> Result<Option<BatchRecord>, StoreError> {
        let row = self.client().query_opt(
            &format!("SELECT {} FROM batches WHERE id = $1", schema::BATCH_COLUMNS),
            &[&id],
        )?;
        row.map(|r| raw_batch(&r).into_record()).transpose()
    }

    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        let rows = self.client().query(
            &format!("SELECT {} FROM batches ORDER BY created_ms, id", schema::BATCH_COLUMNS),
            &[],
        )?;
        rows.iter().map(|r| raw_batch(r).into_record()).collect()
    }

    fn counts(&self) -> Result<JobCounts, StoreError> {
        let rows = self
            .client()
            .query("SELECT state, kind, COUNT(*) FROM jobs GROUP BY state, kind", &[])?;
        let mut counts = JobCounts::new();
        for r in rows {
            let state: String = r.get(0);
            let kind: String = r.get(1);
            let n: i64 = r.get(2);
            counts.insert(
                (super::parse_col("jobs", &state)?, super::parse_col("jobs", &kind)?),
                n as u64,
            );
        }
        Ok(counts)
    }

    fn register_worker(&self, id: &str, public_key: &str) -> Result<(), StoreError> {
        self.client().execute(
            "INSERT INTO workers (id, public_key) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key, revoked = 0",
            &[&id, &public_key],
        )?;
        Ok(())
    }

    fn revoke_worker(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .client()
            .execute("UPDATE workers SET revoked = 1 WHERE id = $1", &[&id])?
            > 0)
    }

    fn worker(&self, id: &str) -> Result<Option<WorkerRecord>, StoreError> {
        let row = self.client().query_opt(
            "SELECT id, public_key, revoked, accepted, rejected FROM workers WHERE id = $1",
            &[&id],
        )?;
        Ok(row.map(|r| WorkerRecord {
            id: r.get(0),
            public_key: r.get(1),
            revoked: r.get::<_, i64>(2) != 0,
            accepted: r.get::<_, i64>(3) as u64,
            rejected: r.get::<_, i64>(4) as u64,
        }))
    }

    fn count_result(&self, id: &str, accepted: bool) -> Result<(), StoreError> {
        let sql = if accepted {
            "UPDATE workers SET accepted = accepted + 1 WHERE id = $1"
        } else {
            "UPDATE workers SET rejected = rejected + 1 WHERE id = $1"
        };
        self.client().execute(sql, &[&id])?;
        Ok(())
    }
}
