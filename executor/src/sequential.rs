//! The sequential reference path: plain revm, one transaction after another,
//! each committed before the next runs.

use crate::block::{ExecError, PathResult, TxExecution};
use crate::evm::{tx_env, BlockEnvironment, FeePayment, TxRunner};
use crate::input::BlockInput;
use crate::state::{StateDb, WorldState};
use crate::tracer::{TraceLimit, TraceRecorder};
use std::cell::RefCell;

/// Runs the block's transactions in order on a copy of `initial`, recording
/// traces within the limit `capture` gives when it is set.
pub(crate) fn execute(
    input: &BlockInput,
    env: &BlockEnvironment,
    initial: &WorldState,
    capture: Option<TraceLimit>,
) -> Result<PathResult, ExecError> {
    let state = RefCell::new(initial.clone());
    let mut runner = TxRunner::new(
        StateDb {
            state: &state,
            block_hashes: &input.block_hashes,
        },
        env,
    );
    let mut txs = Vec::with_capacity(input.transactions.len());
    for (index, tx) in input.transactions.iter().enumerate() {
        let recorder = capture.map(TraceRecorder::with_limit);
        let run = runner
            .run(tx_env(tx), FeePayment::InTransaction, recorder)
            .map_err(|e| ExecError::from_run(index, e))?;
        state.borrow_mut().commit(&run.state, env.spec);
        txs.push(TxExecution::paid_in_transaction(run));
    }
    Ok(PathResult {
        txs,
        reexecutions: 0,
        state: Some(state.into_inner()),
    })
}
