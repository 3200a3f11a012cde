//! The CPU backend's commitment (leaf rows filled a column group at a time)
//! against plonky2's `PolynomialBatch::from_values`, same inputs, same run:
//! peak heap above the inputs, measured by a counting allocator, and time.
//! Shapes come from `ZKR_COMMIT_SHAPES` (log2 rows x columns, default
//! "14x384,16x384": about the step table's width).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Sample;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::util::timing::TimingTree;
use prover::backend::{Backend, CpuBackend, C, D, F};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are only read for reporting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated at the peak of `f`, above what was live when it started
/// (its input, moved in, counts as live).
fn peak_above_start(f: impl FnOnce()) -> usize {
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - start
}

fn shapes() -> Vec<(usize, usize)> {
    std::env::var("ZKR_COMMIT_SHAPES")
        .unwrap_or_else(|_| "14x384,16x384".into())
        .split(',')
        .map(|s| {
            let (rows, cols) = s
                .trim()
                .split_once('x')
                .unwrap_or_else(|| panic!("ZKR_COMMIT_SHAPES: {s:?} is not <log rows>x<columns>"));
            let n = |v: &str| {
                v.parse::<usize>()
                    .unwrap_or_else(|_| panic!("ZKR_COMMIT_SHAPES: {v:?} is not a number"))
            };
            (n(rows), n(cols))
        })
        .collect()
}

fn plonky2_commit(values: Vec<PolynomialValues<F>>) -> PolynomialBatch<F, C, D> {
    PolynomialBatch::from_values(values, 1, false, 4, &mut TimingTree::default(), None)
}

fn backend_commit(values: Vec<PolynomialValues<F>>) -> PolynomialBatch<F, C, D> {
    CpuBackend
        .commit(values, 1, false, 4, &mut TimingTree::default())
        .expect("well-formed input")
}

fn commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("cpu_commit");
    group.sample_size(10);
    for (log, cols) in shapes() {
        let values: Vec<PolynomialValues<F>> = (0..cols)
            .map(|_| PolynomialValues::new(F::rand_vec(1 << log)))
            .collect();
        let trace_bytes = (cols << log) * 8;
        let input = values.clone();
        let baseline = peak_above_start(move || drop(plonky2_commit(input)));
        let input = values.clone();
        let ours = peak_above_start(move || drop(backend_commit(input)));
        println!(
            "cpu_commit 2^{log} x {cols} (trace {:.0} MiB): peak heap above the trace: plonky2 from_values {:.0} MiB ({:.2}x the trace), CPU backend {:.0} MiB ({:.2}x); ratio {:.2}",
            trace_bytes as f64 / (1 << 20) as f64,
            baseline as f64 / (1 << 20) as f64,
            baseline as f64 / trace_bytes as f64,
            ours as f64 / (1 << 20) as f64,
            ours as f64 / trace_bytes as f64,
            ours as f64 / baseline as f64
        );
        let id = format!("2^{log}x{cols}");
        group.bench_with_input(BenchmarkId::new("plonky2_from_values", &id), &values, |b, v| {
            b.iter(|| plonky2_commit(v.clone()))
        });
        group.bench_with_input(BenchmarkId::new("cpu_backend", &id), &values, |b, v| {
            b.iter(|| backend_commit(v.clone()))
        });
    }
    group.finish();
}

criterion_group!(benches, commit);
criterion_main!(benches);
