//! A batch run job by job in this process, as a cluster runs it: the
//! coordinator's split and plan, each job run by a worker's pipeline and
//! its output checked by the coordinator's.
// Each test crate uses the part it needs.
#![allow(dead_code)]

use coordinator::job::{JobKind, NewJob};
use coordinator::pipeline::{JobSpec, ProofPipeline};
use coordinator::planner::{plan, Plan, PlanShape};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A batch that ran: its plan, the input blobs and every job's output.
pub struct Ran {
    /// The plan, with job ids `t/<kind>/<level>/<index>`.
    pub plan: Plan,
    blobs: HashMap<String, Vec<u8>>,
    /// Every job's output, by job id.
    pub outputs: HashMap<String, Vec<u8>>,
    /// How long each job ran on the worker, by job id.
    pub times: HashMap<String, Duration>,
}

impl Ran {
    /// The job `id`.
    pub fn job(&self, id: &str) -> &NewJob {
        self.plan
            .jobs
            .iter()
            .find(|j| j.id == id)
            .unwrap_or_else(|| panic!("no job {id}"))
    }

    /// What a job reads: its own input blob, then its children's outputs.
    pub fn inputs(&self, job: &NewJob) -> Vec<Vec<u8>> {
        let own = job.input_blob.iter().map(|b| self.blobs[b].clone());
        own.chain(job.deps.iter().map(|d| self.outputs[d].clone())).collect()
    }

    /// The batch's output (the root job's).
    pub fn root(&self) -> &[u8] {
        &self.outputs[&self.plan.root]
    }
}

/// The position of `job` as a pipeline sees it.
pub fn spec_of(job: &NewJob) -> JobSpec {
    JobSpec {
        kind: job.kind,
        level: job.level,
        index: job.index,
    }
}

/// Splits and plans `batch_input` as `coordinator` does (with the wrap job
/// it plans, if any), runs every job on `worker` in plan order and requires
/// `coordinator` to accept each output.
pub fn run_batch(coordinator: &dyn ProofPipeline, worker: &dyn ProofPipeline, batch_input: &[u8]) -> Ran {
    let mut blobs = HashMap::new();
    let mut blob = |name: String, bytes: Vec<u8>| {
        blobs.insert(name.clone(), bytes);
        name
    };
    let groups = coordinator.split(batch_input).expect("split");
    let chunk_inputs = (groups.into_iter().enumerate())
        .map(|(b, chunks)| {
            (chunks.into_iter().enumerate())
                .map(|(i, input)| blob(format!("block{b}-chunk{i}"), input))
                .collect()
        })
        .collect();
    let wrap_input = coordinator.wrap_input().map(|input| blob("wrap".into(), input));
    let shape = PlanShape {
        chunk_inputs,
        wrap: coordinator.has_wrap(),
        wrap_input,
        requirements: JobKind::ALL.map(|kind| coordinator.requirement(kind)),
    };
    let mut ran = Ran {
        plan: plan("t", &shape).expect("plan"),
        blobs,
        outputs: HashMap::new(),
        times: HashMap::new(),
    };
    for job in &ran.plan.jobs {
        let inputs = ran.inputs(job);
        let spec = spec_of(job);
        let started = Instant::now();
        let output = worker.run(&spec, &inputs).unwrap_or_else(|e| panic!("{}: {e}", job.id));
        ran.times.insert(job.id.clone(), started.elapsed());
        coordinator
            .verify(&spec, &inputs, &output)
            .unwrap_or_else(|e| panic!("{} is not accepted: {e}", job.id));
        ran.outputs.insert(job.id.clone(), output);
    }
    ran
}
