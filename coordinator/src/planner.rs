//! Turns a batch of chunks into its job DAG: one chunk job per chunk, a binary
//! aggregation tree over them, and a wrap job on top when the pipeline has one.

use crate::job::{JobKind, NewJob, Requirement};

/// The shape of a batch, as its pipeline describes it.
#[derive(Debug, Clone)]
pub struct PlanShape {
    /// Blob hash of each chunk's input, in order.
    pub chunk_inputs: Vec<String>,
    /// Whether a wrap job sits above the aggregation root.
    pub wrap: bool,
    /// Blob of the wrap job's own input (its parameters), which it reads
    /// before the root's output; `None` when it reads only that output.
    pub wrap_input: Option<String>,
    /// Requirement of each job kind, in [`JobKind::ALL`] order.
    pub requirements: [Requirement; 3],
}

/// The planned DAG: every job, and the id of the one whose output is final.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Jobs in creation order (children before parents).
    pub jobs: Vec<NewJob>,
    /// The job whose output is the batch result.
    pub root: String,
}

fn job_id(batch: &str, kind: JobKind, level: u32, index: u32) -> String {
    format!("{batch}/{kind}/{level}/{index}")
}

fn requirement(shape: &PlanShape, kind: JobKind) -> Requirement {
    shape.requirements[JobKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)]
}

/// Plans `shape` for batch `batch`. Pairs are merged left to right; at a level
/// with an odd count the last node moves up unchanged (pipelines whose
/// aggregation needs a uniform tree pad their chunks to a power of two).
/// Returns `None` when there are no chunks.
pub fn plan(batch: &str, shape: &PlanShape) -> Option<Plan> {
    if shape.chunk_inputs.is_empty() {
        return None;
    }
    let mut jobs = Vec::new();
    let mut level_ids: Vec<String> = shape
        .chunk_inputs
        .iter()
        .enumerate()
        .map(|(i, blob)| {
            let id = job_id(batch, JobKind::Chunk, 0, i as u32);
            jobs.push(NewJob {
                id: id.clone(),
                kind: JobKind::Chunk,
                level: 0,
                index: i as u32,
                deps: Vec::new(),
                input_blob: Some(blob.clone()),
                requirement: requirement(shape, JobKind::Chunk),
            });
            id
        })
        .collect();
    let mut level = 0;
    while level_ids.len() > 1 {
        level += 1;
        let mut next = Vec::with_capacity(level_ids.len().div_ceil(2));
        for (i, pair) in level_ids.chunks(2).enumerate() {
            if let [left, right] = pair {
                let id = job_id(batch, JobKind::Aggregate, level, i as u32);
                jobs.push(NewJob {
                    id: id.clone(),
                    kind: JobKind::Aggregate,
                    level,
                    index: i as u32,
                    deps: vec![left.clone(), right.clone()],
                    input_blob: None,
                    requirement: requirement(shape, JobKind::Aggregate),
                });
                next.push(id);
            } else {
                next.push(pair[0].clone());
            }
        }
        level_ids = next;
    }
    let mut root = level_ids.pop()?;
    if shape.wrap {
        let id = job_id(batch, JobKind::Wrap, level + 1, 0);
        jobs.push(NewJob {
            id: id.clone(),
            kind: JobKind::Wrap,
            level: level + 1,
            index: 0,
            deps: vec![root],
            input_blob: shape.wrap_input.clone(),
            requirement: requirement(shape, JobKind::Wrap),
        });
        root = id;
    }
    Some(Plan { jobs, root })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(n: usize, wrap: bool) -> PlanShape {
        PlanShape {
            chunk_inputs: (0..n).map(|i| format!("blob{i}")).collect(),
            wrap,
            wrap_input: None,
            requirements: [Requirement::default(); 3],
        }
    }

    #[test]
    fn four_chunks_make_a_full_tree_with_wrap() {
        let p = plan("b", &shape(4, true)).expect("plan");
        let kinds: Vec<_> = p.jobs.iter().map(|j| j.kind).collect();
        assert_eq!(kinds.iter().filter(|k| **k == JobKind::Chunk).count(), 4);
        assert_eq!(kinds.iter().filter(|k| **k == JobKind::Aggregate).count(), 3);
        assert_eq!(p.root, "b/wrap/3/0");
        let top = p
            .jobs
            .iter()
            .find(|j| j.id == "b/aggregate/2/0")
            .expect("top aggregate");
        assert_eq!(top.deps, vec!["b/aggregate/1/0", "b/aggregate/1/1"]);
    }

    #[test]
    fn a_wrap_job_reads_its_own_input_before_the_root() {
        let mut with_input = shape(2, true);
        with_input.wrap_input = Some("params".into());
        let p = plan("b", &with_input).expect("plan");
        let wrap = p.jobs.last().expect("jobs");
        assert_eq!((wrap.kind, wrap.id.as_str()), (JobKind::Wrap, "b/wrap/2/0"));
        assert_eq!(wrap.input_blob.as_deref(), Some("params"));
        assert_eq!(wrap.deps, vec!["b/aggregate/1/0"]);
        assert!(p
            .jobs
            .iter()
            .filter(|j| j.kind != JobKind::Chunk)
            .all(|j| j.kind == JobKind::Wrap || j.input_blob.is_none()));
    }

    #[test]
    fn odd_counts_promote_the_last_node_and_every_chunk_reaches_the_root() {
        let p = plan("b", &shape(5, false)).expect("plan");
        assert_eq!(p.jobs.len(), 5 + 4);
        assert_eq!(p.root, "b/aggregate/3/0");
        // Every job except the root is a dependency of exactly one other job.
        for j in &p.jobs {
            let parents = p.jobs.iter().filter(|o| o.deps.contains(&j.id)).count();
            assert_eq!(parents, usize::from(j.id != p.root), "{}", j.id);
        }
    }

    #[test]
    fn a_single_chunk_is_its_own_root_and_empty_batches_have_no_plan() {
        assert_eq!(plan("b", &shape(1, false)).expect("plan").root, "b/chunk/0/0");
        assert!(plan("b", &shape(0, true)).is_none());
    }
}
