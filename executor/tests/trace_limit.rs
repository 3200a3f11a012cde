//! A trace limit stops recording, not execution: a transaction that runs
//! past it keeps its receipt, its trace holds the first steps and says which
//! limit cut it; within the limit the trace is the whole one.

use executor::synthetic::counter_loop_block;
use executor::trace::TraceCut;
use executor::tracer::TraceLimit;
use executor::{execute_block, BlockInput, BlockOutput, ExecOptions};
use revm::primitives::Bytes;

fn run(input: &BlockInput, trace_limit: TraceLimit, sequential: bool) -> BlockOutput {
    let options = ExecOptions {
        sequential,
        sequential_fallback: false,
        capture_traces: true,
        trace_limit,
        ..ExecOptions::default()
    };
    execute_block(input, &options).expect("executes")
}

fn memory_bytes(out: &BlockOutput, tx: usize) -> usize {
    let trace = &out.traces.as_ref().expect("traced").txs[tx];
    trace.steps.iter().flat_map(|s| &s.memory).map(|m| m.bytes.len()).sum()
}

#[test]
fn a_step_limit_keeps_the_first_steps_and_marks_the_trace_cut() {
    let input = counter_loop_block(2, 20);
    for sequential in [true, false] {
        let whole = run(&input, TraceLimit::default(), sequential);
        let traces = whole.traces.as_ref().expect("traced");
        let steps = traces.txs[0].steps.len();
        assert!(traces.txs.iter().all(|t| t.cut.is_none()));

        let exact = run(
            &input,
            TraceLimit {
                steps,
                ..TraceLimit::default()
            },
            sequential,
        );
        assert_eq!(exact.traces, whole.traces, "a limit the transactions reach is no cut");

        let limit = steps / 3;
        let cut = run(
            &input,
            TraceLimit {
                steps: limit,
                ..TraceLimit::default()
            },
            sequential,
        );
        assert_eq!(cut.receipts_root, whole.receipts_root, "execution is not affected");
        assert_eq!(cut.gas_used, whole.gas_used);
        for (short, full) in cut.traces.as_ref().unwrap().txs.iter().zip(&traces.txs) {
            assert_eq!(short.cut, Some(TraceCut::Steps(limit)));
            assert_eq!(short.steps[..], full.steps[..limit]);
        }
    }
}

#[test]
fn a_memory_limit_cuts_the_trace_past_that_many_bytes() {
    // MSTORE(0, 42) writes 32 bytes, RETURN(0, 32) reads them.
    let mut input = counter_loop_block(1, 1);
    for account in input.pre_state.values_mut().filter(|a| !a.code.is_empty()) {
        account.code = Bytes::from_static(&[0x60, 0x2a, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3]);
    }
    let whole = run(&input, TraceLimit::default(), true);
    let bytes = memory_bytes(&whole, 0);
    assert_eq!(bytes, 64);

    let exact = run(
        &input,
        TraceLimit {
            memory_bytes: bytes,
            ..TraceLimit::default()
        },
        true,
    );
    assert_eq!(exact.traces, whole.traces);

    let cut = run(
        &input,
        TraceLimit {
            memory_bytes: bytes - 1,
            ..TraceLimit::default()
        },
        true,
    );
    let trace = &cut.traces.as_ref().unwrap().txs[0];
    assert_eq!(trace.cut, Some(TraceCut::MemoryBytes(bytes - 1)));
    assert_eq!(cut.receipts_root, whole.receipts_root);
}
