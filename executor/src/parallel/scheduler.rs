//! Block-STM's collaborative scheduler (Gelashvili et al., "Block-STM",
//! 2022): two ordered task streams, executions and validations, handed to
//! worker threads by atomic counters; a failed validation aborts the
//! transaction and pulls both streams back so that everything above it is
//! validated again.

use super::mv_memory::TxIdx;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// The incarnation (execution attempt) number of a transaction.
pub(crate) type Incarnation = usize;

/// A unit of work for a worker thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Task {
    /// Execute this incarnation of a transaction.
    Execute(TxIdx, Incarnation),
    /// Validate the reads of this incarnation of a transaction.
    Validate(TxIdx, Incarnation),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    ReadyToExecute,
    Executing,
    Executed,
    Aborting,
}

/// Shared scheduling state of one block execution.
pub(crate) struct Scheduler {
    block_size: usize,
    execution_idx: AtomicUsize,
    validation_idx: AtomicUsize,
    decrease_cnt: AtomicUsize,
    num_active_tasks: AtomicUsize,
    done_marker: AtomicBool,
    status: Vec<Mutex<(Incarnation, Status)>>,
    dependents: Vec<Mutex<Vec<TxIdx>>>,
}

impl Scheduler {
    /// A scheduler for `block_size` transactions, all ready to execute.
    pub fn new(block_size: usize) -> Self {
        Self {
            block_size,
            execution_idx: AtomicUsize::new(0),
            validation_idx: AtomicUsize::new(0),
            decrease_cnt: AtomicUsize::new(0),
            num_active_tasks: AtomicUsize::new(0),
            done_marker: AtomicBool::new(block_size == 0),
            status: (0..block_size)
                .map(|_| Mutex::new((0, Status::ReadyToExecute)))
                .collect(),
            dependents: (0..block_size).map(|_| Mutex::new(Vec::new())).collect(),
        }
    }

    /// True once every transaction is executed and validated.
    pub fn done(&self) -> bool {
        self.done_marker.load(Ordering::Acquire)
    }

    fn status(&self, tx: TxIdx) -> std::sync::MutexGuard<'_, (Incarnation, Status)> {
        self.status[tx].lock().expect("scheduler lock")
    }

    fn decrease_execution_idx(&self, target: TxIdx) {
        self.execution_idx.fetch_min(target, Ordering::SeqCst);
        self.decrease_cnt.fetch_add(1, Ordering::SeqCst);
    }

    fn decrease_validation_idx(&self, target: TxIdx) {
        self.validation_idx.fetch_min(target, Ordering::SeqCst);
        self.decrease_cnt.fetch_add(1, Ordering::SeqCst);
    }

    fn check_done(&self) {
        let observed = self.decrease_cnt.load(Ordering::SeqCst);
        if self
            .execution_idx
            .load(Ordering::SeqCst)
            .min(self.validation_idx.load(Ordering::SeqCst))
            >= self.block_size
            && self.num_active_tasks.load(Ordering::SeqCst) == 0
            && observed == self.decrease_cnt.load(Ordering::SeqCst)
        {
            self.done_marker.store(true, Ordering::Release);
        }
    }

    fn try_incarnate(&self, tx: TxIdx) -> Option<Task> {
        if tx < self.block_size {
            let mut status = self.status(tx);
            if status.1 == Status::ReadyToExecute {
                status.1 = Status::Executing;
                return Some(Task::Execute(tx, status.0));
            }
        }
        self.num_active_tasks.fetch_sub(1, Ordering::SeqCst);
        None
    }

    fn next_version_to_execute(&self) -> Option<Task> {
        if self.execution_idx.load(Ordering::SeqCst) >= self.block_size {
            self.check_done();
            return None;
        }
        self.num_active_tasks.fetch_add(1, Ordering::SeqCst);
        let tx = self.execution_idx.fetch_add(1, Ordering::SeqCst);
        self.try_incarnate(tx)
    }

    fn next_version_to_validate(&self) -> Option<Task> {
        if self.validation_idx.load(Ordering::SeqCst) >= self.block_size {
            self.check_done();
            return None;
        }
        self.num_active_tasks.fetch_add(1, Ordering::SeqCst);
        let tx = self.validation_idx.fetch_add(1, Ordering::SeqCst);
        if tx < self.block_size {
            let status = self.status(tx);
            if status.1 == Status::Executed {
                return Some(Task::Validate(tx, status.0));
            }
        }
        self.num_active_tasks.fetch_sub(1, Ordering::SeqCst);
        None
    }

    /// The next task for an idle worker, if any is available now.
    pub fn next_task(&self) -> Option<Task> {
        if self.validation_idx.load(Ordering::SeqCst) < self.execution_idx.load(Ordering::SeqCst) {
            self.next_version_to_validate()
        } else {
            self.next_version_to_execute()
        }
    }

    /// Records that `tx` must wait for `blocking`; false when `blocking` has
    /// meanwhile finished executing (the caller then simply retries).
    pub fn add_dependency(&self, tx: TxIdx, blocking: TxIdx) -> bool {
        let mut dependents = self.dependents[blocking].lock().expect("scheduler lock");
        if self.status(blocking).1 == Status::Executed {
            return false;
        }
        {
            let mut status = self.status(tx);
            status.1 = Status::Aborting;
        }
        dependents.push(tx);
        self.num_active_tasks.fetch_sub(1, Ordering::SeqCst);
        true
    }

    fn set_ready_status(&self, tx: TxIdx) {
        let mut status = self.status(tx);
        *status = (status.0 + 1, Status::ReadyToExecute);
    }

    /// Marks an execution finished; returns the validation task to run next, if any.
    pub fn finish_execution(&self, tx: TxIdx, incarnation: Incarnation, wrote_new_location: bool) -> Option<Task> {
        self.status(tx).1 = Status::Executed;
        let dependents = std::mem::take(&mut *self.dependents[tx].lock().expect("scheduler lock"));
        let min_dependent = dependents.iter().copied().min();
        for dependent in dependents {
            self.set_ready_status(dependent);
        }
        if let Some(min) = min_dependent {
            self.decrease_execution_idx(min);
        }
        if self.validation_idx.load(Ordering::SeqCst) > tx {
            if wrote_new_location {
                self.decrease_validation_idx(tx);
            } else {
                return Some(Task::Validate(tx, incarnation));
            }
        }
        self.num_active_tasks.fetch_sub(1, Ordering::SeqCst);
        None
    }

    /// Claims the abort of `tx`'s `incarnation` after a failed validation;
    /// false if another worker already did.
    pub fn try_validation_abort(&self, tx: TxIdx, incarnation: Incarnation) -> bool {
        let mut status = self.status(tx);
        if *status == (incarnation, Status::Executed) {
            status.1 = Status::Aborting;
            true
        } else {
            false
        }
    }

    /// Marks a validation finished; returns the re-execution task when it aborted.
    pub fn finish_validation(&self, tx: TxIdx, aborted: bool) -> Option<Task> {
        if aborted {
            self.set_ready_status(tx);
            self.decrease_validation_idx(tx + 1);
            if self.execution_idx.load(Ordering::SeqCst) > tx {
                let task = self.try_incarnate(tx);
                if task.is_some() {
                    return task;
                }
                return None;
            }
        }
        self.num_active_tasks.fetch_sub(1, Ordering::SeqCst);
        None
    }
}
