//! GPU compute kernels for proving, written in WGSL and driven through wgpu.
//! This crate owns adapter discovery and device setup ([`context`]) and the
//! kernels the prover offloads: Goldilocks NTT/LDE, Poseidon Merkle trees and
//! BN254 multi-scalar multiplication. It knows nothing about the EVM or about
//! circuits; each kernel has a CPU reference beside it so tests can check the
//! GPU result bit for bit on any adapter, including Mesa's software Vulkan.

pub mod bn254;
pub mod context;
pub mod goldilocks;
pub mod pipeline;
pub mod selftest;

pub use context::{probe_adapters, AdapterSummary, GpuContext, GpuError, GpuOptions};
