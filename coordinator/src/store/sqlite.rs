//! [`JobStore`] on a SQLite file (the default: zero setup).

use super::schema::{self, RawBatch, RawJob};
use super::{ExpiryReport, FailureOutcome, JobCounts, JobStore, StoreError, WorkerRecord};
use crate::job::{BatchRecord, Capabilities, JobRecord, LeasedJob, NewJob};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use std::sync::Mutex;

/// The columns `lease` reads of the next ready job: id, batch, kind, level, index, attempts, input, pipeline.
type ReadyRow = (String, String, String, i64, i64, i64, Option<String>, String);

/// A job store in one SQLite file. Writers are serialised by SQLite
/// (`BEGIN IMMEDIATE`), which makes leasing exclusive.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

fn raw_job(row: &Row<'_>) -> rusqlite::Result<RawJob> {
    Ok(RawJob {
        id: row.get(0)?,
        batch_id: row.get(1)?,
        kind: row.get(2)?,
        level: row.get(3)?,
        idx: row.get(4)?,
        state: row.get(5)?,
        input_blob: row.get(6)?,
        output_blob: row.get(7)?,
        attempts: row.get(8)?,
        max_attempts: row.get(9)?,
        lease_owner: row.get(10)?,
        lease_deadline_ms: row.get(11)?,
        last_error: row.get(12)?,
        completions: row.get(13)?,
        needs_gpu: row.get(14)?,
        min_memory_mb: row.get(15)?,
        srs: row.get(16)?,
    })
}

fn raw_batch(row: &Row<'_>) -> rusqlite::Result<RawBatch> {
    Ok(RawBatch {
        id: row.get(0)?,
        pipeline: row.get(1)?,
        state: row.get(2)?,
        root_job: row.get(3)?,
        chunks: row.get(4)?,
        error: row.get(5)?,
        created_ms: row.get(6)?,
    })
}

/// Checks that `worker` holds the lease on `job`; returns (attempts, max_attempts, batch_id).
fn check_holder(tx: &rusqlite::Transaction<'_>, job: &str, worker: &str) -> Result<(i64, i64, String), StoreError> {
    let row: Option<(String, Option<String>, i64, i64, String)> = tx
        .query_row(
            "SELECT state, lease_owner, attempts, max_attempts, batch_id FROM jobs WHERE id = ?1",
            params![job],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    match row {
        None => Err(StoreError::UnknownJob(job.into())),
        Some((state, Some(owner), attempts, max, batch)) if state == "leased" && owner == worker => {
            Ok((attempts, max, batch))
        }
        Some(_) => Err(StoreError::NotLeaseHolder {
            job: job.into(),
            worker: worker.into(),
        }),
    }
}

/// Fails a job for good and its batch with it.
fn fail_for_good(tx: &rusqlite::Transaction<'_>, job: &str, batch: &str, message: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_deadline_ms = NULL, last_error = ?1 WHERE id = ?2",
        params![message, job],
    )?;
    tx.execute(
        "UPDATE batches SET state = 'failed', error = ?1 WHERE id = ?2 AND state = 'running'",
        params![message, batch],
    )?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and its schema.
    pub fn open(path: &str) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(|e| StoreError::Database(format!("opening {path}: {e}")))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        for stmt in schema::CREATE {
            conn.execute(stmt, [])?;
        }
        for (column, kind) in schema::ADDED_JOB_COLUMNS {
            let present: i64 = conn.query_row(
                "SELECT COUNT(*) FROM pragma_table_info('jobs') WHERE name = ?1",
                params![column],
                |r| r.get(0),
            )?;
            if present == 0 {
                conn.execute(&format!("ALTER TABLE jobs ADD COLUMN {column} {kind}"), [])?;
            }
        }
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-applied transaction
        // (rusqlite rolls back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl JobStore for SqliteStore {
    fn create_batch(&self, batch: &BatchRecord, jobs: &[NewJob], max_attempts: u32) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<String> = tx
            .query_row("SELECT id FROM batches WHERE id = ?1", params![batch.id], |r| r.get(0))
            .optional()?;
        if exists.is_some() {
            return Err(StoreError::DuplicateBatch(batch.id.clone()));
        }
        tx.execute(
            "INSERT INTO batches (id, pipeline, state, root_job, chunks, error, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![batch.id, batch.pipeline, batch.state.as_str(), batch.root_job, batch.chunks as i64, batch.error, batch.created_ms],
        )?;
        let first_seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs", [], |r| r.get(0))?;
        for (i, job) in jobs.iter().enumerate() {
            let state = if job.deps.is_empty() { "ready" } else { "pending" };
            tx.execute(
                "INSERT INTO jobs (id, seq, batch_id, kind, level, idx, state, input_blob, max_attempts, needs_gpu, min_memory_mb, srs)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    job.id,
                    first_seq + i as i64,
                    batch.id,
                    job.kind.as_str(),
                    job.level as i64,
                    job.index as i64,
                    state,
                    job.input_blob,
                    max_attempts as i64,
                    i64::from(job.requirement.needs_gpu),
                    job.requirement.min_memory_mb as i64,
                    schema::srs_column(job.requirement.srs)
                ],
            )?;
            for (pos, dep) in job.deps.iter().enumerate() {
                tx.execute(
                    "INSERT INTO job_deps (job_id, dep_id, position) VALUES (?1, ?2, ?3)",
                    params![job.id, dep, pos as i64],
                )?;
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
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Option<ReadyRow> = tx
            .query_row(
                "SELECT j.id, j.batch_id, j.kind, j.level, j.idx, j.attempts, j.input_blob, b.pipeline
                 FROM jobs j JOIN batches b ON b.id = j.batch_id
                 WHERE j.state = 'ready' AND (j.needs_gpu = 0 OR ?1 = 1) AND j.min_memory_mb <= ?2
                   AND (j.srs IS NULL OR j.srs = ?3) AND j.kind IN (?4, ?5, ?6)
                 ORDER BY j.seq LIMIT 1",
                params![
                    i64::from(caps.gpu),
                    caps.memory_mb as i64,
                    schema::srs_column(caps.srs),
                    kinds[0],
                    kinds[1],
                    kinds[2]
                ],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, batch_id, kind, level, idx, attempts, input_blob, pipeline)) = found else {
            return Ok(None);
        };
        let deadline = now_ms + lease_ms;
        tx.execute(
            "UPDATE jobs SET state = 'leased', attempts = attempts + 1, lease_owner = ?1, lease_deadline_ms = ?2 WHERE id = ?3",
            params![worker, deadline, id],
        )?;
        let mut inputs: Vec<String> = input_blob.into_iter().collect();
        {
            let mut stmt = tx.prepare(
                "SELECT j.output_blob FROM job_deps d JOIN jobs j ON j.id = d.dep_id WHERE d.job_id = ?1 ORDER BY d.position",
            )?;
            for out in stmt.query_map(params![id], |r| r.get::<_, Option<String>>(0))? {
                inputs.push(out?.ok_or_else(|| StoreError::CorruptRow {
                    table: "jobs",
                    detail: format!("job {id} is ready but a dependency has no output"),
                })?);
            }
        }
        tx.commit()?;
        Ok(Some(LeasedJob {
            kind: super::parse_col("jobs", &kind)?,
            id,
            batch_id,
            pipeline,
            level: level as u32,
            index: idx as u32,
            inputs,
            attempt: attempts as u32 + 1,
            lease_deadline_ms: deadline,
        }))
    }

    fn heartbeat(&self, job: &str, worker: &str, deadline_ms: i64) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_holder(&tx, job, worker)?;
        tx.execute(
            "UPDATE jobs SET lease_deadline_ms = ?1 WHERE id = ?2",
            params![deadline_ms, job],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn complete(&self, job: &str, worker: &str, output_blob: &str, _now_ms: i64) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (_, _, batch) = check_holder(&tx, job, worker)?;
        tx.execute(
            "UPDATE jobs SET state = 'done', output_blob = ?1, completions = completions + 1, lease_owner = NULL,
             lease_deadline_ms = NULL WHERE id = ?2",
            params![output_blob, job],
        )?;
        tx.execute(schema::PROMOTE_DEPENDENTS, params![job])?;
        tx.execute(
            "UPDATE batches SET state = 'done' WHERE id = ?1 AND root_job = ?2 AND state = 'running'",
            params![batch, job],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn fail(&self, job: &str, worker: &str, reason: &str) -> Result<FailureOutcome, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (attempts, max, batch) = check_holder(&tx, job, worker)?;
        let outcome = if attempts < max {
            tx.execute(
                "UPDATE jobs SET state = 'ready', lease_owner = NULL, lease_deadline_ms = NULL, last_error = ?1 WHERE id = ?2",
                params![reason, job],
            )?;
            FailureOutcome::Retried
        } else {
            fail_for_good(&tx, job, &batch, &schema::batch_failure(job, attempts, reason))?;
            FailureOutcome::Failed
        };
        tx.commit()?;
        Ok(outcome)
    }

    fn release(&self, job: &str, worker: &str) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_holder(&tx, job, worker)?;
        tx.execute(
            "UPDATE jobs SET state = 'ready', attempts = MAX(attempts - 1, 0), lease_owner = NULL, lease_deadline_ms = NULL
             WHERE id = ?1",
            params![job],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn expire_leases(&self, now_ms: i64) -> Result<ExpiryReport, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let expired: Vec<(String, i64, i64, Option<String>, String)> = {
            let mut stmt = tx.prepare(
                "SELECT id, attempts, max_attempts, lease_owner, batch_id FROM jobs
                 WHERE state = 'leased' AND lease_deadline_ms < ?1 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![now_ms], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let mut report = ExpiryReport::default();
        for (id, attempts, max, owner, batch) in expired {
            let reason = format!("lease held by worker {} expired", owner.as_deref().unwrap_or("?"));
            if attempts < max {
                tx.execute(
                    "UPDATE jobs SET state = 'ready', lease_owner = NULL, lease_deadline_ms = NULL, last_error = ?1 WHERE id = ?2",
                    params![reason, id],
                )?;
                report.requeued.push(id);
            } else {
                fail_for_good(&tx, &id, &batch, &schema::batch_failure(&id, attempts, &reason))?;
                report.failed.push(id);
            }
        }
        tx.commit()?;
        Ok(report)
    }

    fn job(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        let conn = self.conn();
        let raw = conn
            .query_row(
                &format!("SELECT {} FROM jobs WHERE id = ?1", schema::JOB_COLUMNS),
                params![id],
                raw_job,
            )
            .optional()?;
        raw.map(RawJob::into_record).transpose()
    }

    fn dependency_outputs(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT j.output_blob FROM job_deps d JOIN jobs j ON j.id = d.dep_id WHERE d.job_id = ?1 ORDER BY d.position",
        )?;
        let rows = stmt.query_map(params![id], |r| r.get::<_, Option<String>>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?.ok_or_else(|| StoreError::CorruptRow {
                table: "jobs",
                detail: format!("a dependency of job {id} has no output"),
            })?);
        }
        Ok(out)
    }

    fn jobs(&self, batch: Option<&str>) -> Result<Vec<JobRecord>, StoreError> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {} FROM jobs WHERE (?1 IS NULL OR batch_id = ?1) ORDER BY seq",
            schema::JOB_COLUMNS
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params![batch], raw_job)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(RawJob::into_record))
            .collect()
    }

    fn batch(&self, id: &str) -> Result<Option<BatchRecord>, StoreError> {
        let conn = self.conn();
        let raw = conn
            .query_row(
                &format!("SELECT {} FROM batches WHERE id = ?1", schema::BATCH_COLUMNS),
                params![id],
                raw_batch,
            )
            .optional()?;
        raw.map(RawBatch::into_record).transpose()
    }

    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {} FROM batches ORDER BY created_ms, id",
            schema::BATCH_COLUMNS
        ))?;
        let rows = stmt.query_map([], raw_batch)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(RawBatch::into_record))
            .collect()
    }

    fn counts(&self) -> Result<JobCounts, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT state, kind, COUNT(*) FROM jobs GROUP BY state, kind")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        })?;
        let mut counts = JobCounts::new();
        for r in rows {
            let (state, kind, n) = r?;
            counts.insert(
                (super::parse_col("jobs", &state)?, super::parse_col("jobs", &kind)?),
                n as u64,
            );
        }
        Ok(counts)
    }

    fn register_worker(&self, id: &str, public_key: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO workers (id, public_key) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key, revoked = 0",
            params![id, public_key],
        )?;
        Ok(())
    }

    fn revoke_worker(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("UPDATE workers SET revoked = 1 WHERE id = ?1", params![id])?
            > 0)
    }

    fn worker(&self, id: &str) -> Result<Option<WorkerRecord>, StoreError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT id, public_key, revoked, accepted, rejected FROM workers WHERE id = ?1",
                params![id],
                |r| {
                    Ok(WorkerRecord {
                        id: r.get(0)?,
                        public_key: r.get(1)?,
                        revoked: r.get::<_, i64>(2)? != 0,
                        accepted: r.get::<_, i64>(3)? as u64,
                        rejected: r.get::<_, i64>(4)? as u64,
                    })
                },
            )
            .optional()?)
    }

    fn count_result(&self, id: &str, accepted: bool) -> Result<(), StoreError> {
        let sql = if accepted {
            "UPDATE workers SET accepted = accepted + 1 WHERE id = ?1"
        } else {
            "UPDATE workers SET rejected = rejected + 1 WHERE id = ?1"
        };
        self.conn().execute(sql, params![id])?;
        Ok(())
    }
}
