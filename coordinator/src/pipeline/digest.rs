//! A SHA-256 Merkle tree over a batch's chunks. It proves nothing: each job's
//! output is checked by recomputing it. It exists to exercise the cluster
//! itself (leasing, retries, exactly-once completion) at volume, where real
//! proofs would only add minutes.

use super::{expect_inputs, JobSpec, PipelineError, ProofPipeline};
use crate::job::{JobKind, Requirement};
use sha2::{Digest, Sha256};

/// Chunk size for [`DigestTreePipeline::split`].
pub const DIGEST_CHUNK_BYTES: usize = 64;

/// Chunk jobs hash their bytes; aggregation jobs hash the concatenation of
/// their two children; wrap hashes the root once more with a domain tag.
#[derive(Debug, Clone, Copy, Default)]
pub struct DigestTreePipeline;

impl DigestTreePipeline {
    fn compute(job: &JobSpec, inputs: &[Vec<u8>]) -> Result<Vec<u8>, PipelineError> {
        let mut h = Sha256::new();
        match job.kind {
            JobKind::Chunk => {
                expect_inputs(job, inputs, 1)?;
                h.update(b"chunk");
                h.update(&inputs[0]);
            }
            JobKind::Aggregate | JobKind::Wrap => {
                let n = if job.kind == JobKind::Aggregate { 2 } else { 1 };
                expect_inputs(job, inputs, n)?;
                h.update(job.kind.as_str());
                for child in inputs {
                    if child.len() != 32 {
                        return Err(PipelineError::BadInput {
                            job: job.to_string(),
                            detail: format!("child digest is {} bytes, expected 32", child.len()),
                        });
                    }
                    h.update(child);
                }
            }
        }
        Ok(h.finalize().to_vec())
    }
}

impl ProofPipeline for DigestTreePipeline {
    fn name(&self) -> &'static str {
        "sha256-digest-tree"
    }

    fn split(&self, batch_input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, PipelineError> {
        Ok(vec![batch_input
            .chunks(DIGEST_CHUNK_BYTES)
            .map(<[u8]>::to_vec)
            .collect()])
    }

    fn has_wrap(&self) -> bool {
        true
    }

    fn requirement(&self, _kind: JobKind) -> Requirement {
        Requirement::default()
    }

    fn run(&self, job: &JobSpec, inputs: &[Vec<u8>]) -> Result<Vec<u8>, PipelineError> {
        Self::compute(job, inputs)
    }

    fn verify(&self, job: &JobSpec, inputs: &[Vec<u8>], output: &[u8]) -> Result<(), PipelineError> {
        if Self::compute(job, inputs)? == output {
            Ok(())
        } else {
            Err(PipelineError::Rejected {
                job: job.to_string(),
                detail: "digest does not match the recomputed value".into(),
            })
        }
    }

    fn describe_output(&self, output: &[u8]) -> String {
        format!("sha256 digest-tree root {}", hex::encode(output))
    }
}
