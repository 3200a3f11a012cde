//! Turns a batch of chunks into its job DAG: one chunk job per chunk, a
//! binary aggregation tree over each block's chunks, and for a batch of
//! several blocks a one-child aggregation job above each block's tree (the
//! block in the batch's form) and a binary tree over those; a wrap job on
//! top when the pipeline has one.

use crate::job::{JobKind, NewJob, Requirement};

/// The shape of a batch, as its pipeline describes it.
#[derive(Debug, Clone)]
pub struct PlanShape {
    /// Blob hash of each chunk's input, in order, grouped by block (one
    /// group for a batch of one block, or of a pipeline without blocks).
    pub chunk_inputs: Vec<Vec<String>>,
    /// Whether a wrap job sits above the aggregation root.
    pub wrap: bool,
    /// Blob of the wrap job's own input (its parameters), which it reads
    /// before the root's output; `None` when it reads only that output.
    pub wrap_input: Option<String>,
    /// Requirement of each job kind, in [`JobKind::ALL`] order.
    pub requirements: [Requirement; 3],
}

impl PlanShape {
    /// Number of chunks over all blocks.
    pub fn num_chunks(&self) -> usize {
        self.chunk_inputs.iter().map(Vec::len).sum()
    }
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

/// Jobs being planned, with the next free index of each level (trees of
/// several blocks share levels, and a job's id names its level and index).
struct Planner<'a> {
    batch: &'a str,
    shape: &'a PlanShape,
    jobs: Vec<NewJob>,
    next_index: Vec<u32>,
}

impl Planner<'_> {
    /// Adds a job at `level` reading `deps`' outputs; returns its id.
    fn add(&mut self, kind: JobKind, level: u32, deps: Vec<String>, input_blob: Option<String>) -> String {
        if self.next_index.len() <= level as usize {
            self.next_index.resize(level as usize + 1, 0);
        }
        let index = self.next_index[level as usize];
        self.next_index[level as usize] += 1;
        let id = job_id(self.batch, kind, level, index);
        self.jobs.push(NewJob {
            id: id.clone(),
            kind,
            level,
            index,
            deps,
            input_blob,
            requirement: requirement(self.shape, kind),
        });
        id
    }

    /// Aggregates `ids` (nodes at level `base`) pairwise, level by level,
    /// left to right; at a level with an odd count the last node moves up
    /// unchanged. Returns the root's id and the level of the top merge
    /// (`base` when there was nothing to merge).
    fn tree(&mut self, mut ids: Vec<String>, base: u32) -> Option<(String, u32)> {
        let mut level = base;
        while ids.len() > 1 {
            level += 1;
            let mut next = Vec::with_capacity(ids.len().div_ceil(2));
            for pair in ids.chunks(2) {
                next.push(match pair {
                    [left, right] => self.add(JobKind::Aggregate, level, vec![left.clone(), right.clone()], None),
                    _ => pair[0].clone(),
                });
            }
            ids = next;
        }
        Some((ids.pop()?, level))
    }
}

/// Plans `shape` for batch `batch`. Each block's chunks form a tree (levels
/// 1 up); with several blocks, each block's root gets a one-child
/// aggregation job at the level above the highest block tree, and those
/// form the batch's tree above it. Pipelines whose aggregation needs a
/// uniform tree pad their chunks to a power of two. Returns `None` when
/// there are no chunks or a block has none.
pub fn plan(batch: &str, shape: &PlanShape) -> Option<Plan> {
    if shape.chunk_inputs.is_empty() || shape.chunk_inputs.iter().any(Vec::is_empty) {
        return None;
    }
    let mut p = Planner {
        batch,
        shape,
        jobs: Vec::new(),
        next_index: Vec::new(),
    };
    let mut block_roots = Vec::with_capacity(shape.chunk_inputs.len());
    let mut height = 0;
    for chunks in &shape.chunk_inputs {
        let ids = chunks
            .iter()
            .map(|blob| p.add(JobKind::Chunk, 0, Vec::new(), Some(blob.clone())))
            .collect();
        let (root, level) = p.tree(ids, 0)?;
        block_roots.push(root);
        height = height.max(level);
    }
    let (mut root, mut level) = match <[String; 1]>::try_from(block_roots) {
        Ok([root]) => (root, height),
        Err(block_roots) => {
            let lifted = block_roots
                .into_iter()
                .map(|root| p.add(JobKind::Aggregate, height + 1, vec![root], None))
                .collect();
            p.tree(lifted, height + 1)?
        }
    };
    if shape.wrap {
        level += 1;
        root = p.add(JobKind::Wrap, level, vec![root], shape.wrap_input.clone());
    }
    Some(Plan { jobs: p.jobs, root })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(n: usize, wrap: bool) -> PlanShape {
        PlanShape {
            chunk_inputs: vec![(0..n).map(|i| format!("blob{i}")).collect()],
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
    fn several_blocks_get_a_tree_each_then_one_lifting_job_each_then_the_batch_tree() {
        let blocks = [2, 1, 3].map(|n| (0..n).map(|i| format!("blob{n}.{i}")).collect());
        let shape = PlanShape {
            chunk_inputs: blocks.to_vec(),
            ..shape(0, true)
        };
        let p = plan("b", &shape).expect("plan");
        let deps = |id: &str| {
            p.jobs
                .iter()
                .find(|j| j.id == id)
                .unwrap_or_else(|| panic!("no job {id}"))
                .deps
                .clone()
        };
        // Chunks are numbered over the batch; the block trees share levels.
        assert_eq!(deps("b/aggregate/1/0"), ["b/chunk/0/0", "b/chunk/0/1"]);
        assert_eq!(deps("b/aggregate/1/1"), ["b/chunk/0/3", "b/chunk/0/4"]);
        assert_eq!(deps("b/aggregate/2/0"), ["b/aggregate/1/1", "b/chunk/0/5"]);
        // Above the highest block tree, each block's root is lifted alone.
        assert_eq!(deps("b/aggregate/3/0"), ["b/aggregate/1/0"]);
        assert_eq!(deps("b/aggregate/3/1"), ["b/chunk/0/2"]);
        assert_eq!(deps("b/aggregate/3/2"), ["b/aggregate/2/0"]);
        assert_eq!(deps("b/aggregate/4/0"), ["b/aggregate/3/0", "b/aggregate/3/1"]);
        assert_eq!(deps("b/aggregate/5/0"), ["b/aggregate/4/0", "b/aggregate/3/2"]);
        assert_eq!(deps("b/wrap/6/0"), ["b/aggregate/5/0"]);
        assert_eq!(p.root, "b/wrap/6/0");
        assert_eq!(p.jobs.len(), 6 + 3 + 3 + 2 + 1);
        let mut ids: Vec<_> = p.jobs.iter().map(|j| j.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), p.jobs.len(), "job ids are unique");
        for j in &p.jobs {
            let parents = p.jobs.iter().filter(|o| o.deps.contains(&j.id)).count();
            assert_eq!(parents, usize::from(j.id != p.root), "{}", j.id);
            assert_eq!(j.input_blob.is_some(), j.kind == JobKind::Chunk, "{}", j.id);
        }
        // A block without chunks cannot be planned.
        let mut empty = shape.clone();
        empty.chunk_inputs[1].clear();
        assert!(plan("b", &empty).is_none());
    }

    #[test]
    fn a_single_chunk_is_its_own_root_and_empty_batches_have_no_plan() {
        assert_eq!(plan("b", &shape(1, false)).expect("plan").root, "b/chunk/0/0");
        assert!(plan("b", &shape(0, true)).is_none());
    }
}
