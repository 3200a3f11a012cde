//! Benchmarks for every pipeline stage. Each result is reported as a ratio
//! against a baseline measured in the same run (parallel vs sequential
//! execution, GPU vs CPU kernels, ...), never as a bare time; the shared
//! workload builders used by the criterion benches and `zkr bench` live here.
