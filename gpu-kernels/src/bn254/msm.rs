//! Pippenger multi-scalar multiplication over BN254 G1 on the GPU.
//!
//! One MSM pass runs five kernels (see [`MsmPass`]): scalars leave Montgomery
//! form and are cut into signed c-bit windows (digits in (-2^(c-1), 2^(c-1)],
//! so each window needs only 2^(c-1) buckets and a negative digit adds the
//! negated point); a counting sort (bucket counts, prefix sum, scatter) lays
//! the (point, sign) pairs out bucket by bucket; one invocation per bucket
//! sums its points; a segmented running-sum reduction cuts each window's
//! buckets into T segments of L buckets and returns, per segment t, the
//! weighted sum sum_j (j - tL + 1) B_j and the plain sum S_t.
//!
//! The host finishes on the CPU, which is cheap next to the GPU work:
//! window = sum_t weighted_t + L sum_t t S_t (about 3T group additions and
//! log2 L doublings per window, windows in parallel), then Horner over the
//! windows (W c doublings). For 2^20 points that is 16 windows of 256
//! segments, about 12 000 additions spread over the cores.
//!
//! Inputs larger than one storage-buffer binding allows are cut into chunks
//! whose partial results are added on the host. Bases are uploaded once as
//! [`GpuBases`] and reused by every MSM over them.

use super::convert::{bases_to_bytes, scalars_to_bytes, xyzz_to_g1, AFFINE_WORDS, XYZZ_WORDS};
use super::shader::{pass_source, MsmPass};
use crate::context::{GpuContext, GpuError};
use crate::pipeline::{read_buffer, storage_buffer, uniform_buffer, Kernel};
use halo2curves_axiom::bn256::{Fr, G1Affine, G1};
use halo2curves_axiom::group::Group;
use rayon::prelude::*;
use std::sync::Arc;
use wgpu::util::DeviceExt;

/// Invocations per workgroup in the per-point and per-bucket kernels.
const WORKGROUP: u32 = 64;
/// Most workgroups in one dispatch dimension.
const MAX_GROUPS_X: u32 = 65_535;
/// Widest window: 2^15 buckets per window keeps the bucket array small.
const MAX_WINDOW_BITS: u32 = 16;
/// Narrowest window.
const MIN_WINDOW_BITS: u32 = 4;
/// Points one invocation adds per accumulation round (`ROUND_POINTS` in
/// accumulate.wgsl).
const ROUND_POINTS: u32 = 256;

/// Window width for an MSM of `n` points: about log2(n) - 3 bits, which keeps
/// roughly eight points per bucket so every bucket has work, clamped to
/// [4, 16].
pub fn window_bits(n: usize) -> u32 {
    let log = usize::BITS - n.max(1).leading_zeros() - 1;
    log.saturating_sub(3).clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
}

/// Layout of one MSM pass; mirrors the kernels' `Params` uniform.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MsmPlan {
    /// Points in this pass.
    pub n: u32,
    /// Window width c.
    pub window_bits: u32,
    /// Number of windows W, the smallest with W c >= 255.
    pub num_windows: u32,
    /// Buckets per window, 2^(c-1).
    pub buckets_per_window: u32,
    /// Segments per window in the bucket reduction.
    pub segments: u32,
    /// Buckets per segment.
    pub segment_len: u32,
    /// log2 of `segment_len`.
    pub segment_len_log2: u32,
    /// W * buckets_per_window.
    pub total_buckets: u32,
}

impl MsmPlan {
    /// The plan for `n` points.
    pub fn new(n: usize) -> Self {
        Self::with_window_bits(n, window_bits(n))
    }

    /// The plan for `n` points with windows of `c` bits (4 to 16).
    pub fn with_window_bits(n: usize, c: u32) -> Self {
        let num_windows = 255_u32.div_ceil(c);
        let bucket_log = c - 1;
        // Segments of at most 128 buckets: 256 group operations per
        // invocation, within software Vulkan's loop limit.
        let segment_log = bucket_log.div_ceil(2).max(bucket_log.saturating_sub(7));
        let segment_len_log2 = bucket_log - segment_log;
        Self {
            n: n as u32,
            window_bits: c,
            num_windows,
            buckets_per_window: 1 << bucket_log,
            segments: 1 << segment_log,
            segment_len: 1 << segment_len_log2,
            segment_len_log2,
            total_buckets: num_windows << bucket_log,
        }
    }

    /// Bytes of the largest buffer this pass binds.
    fn largest_binding(&self) -> u64 {
        let sorted = u64::from(self.num_windows) * u64::from(self.n) * 4;
        let buckets = u64::from(self.total_buckets) * XYZZ_WORDS as u64 * 4;
        let bases = u64::from(self.n) * AFFINE_WORDS as u64 * 4;
        sorted.max(buckets).max(bases)
    }
}

/// Compiled MSM kernels on one device.
pub struct MsmEngine {
    ctx: Arc<GpuContext>,
    kernels: Vec<Kernel>,
    /// Most points per chunk, a power of two fitting every binding.
    chunk_points: usize,
}

/// A fixed set of bases (an SRS) resident on the device, split into chunks
/// of at most [`MsmEngine::chunk_points`] points.
pub struct GpuBases {
    chunks: Vec<wgpu::Buffer>,
    chunk_points: usize,
    len: usize,
}

impl GpuBases {
    /// Number of points uploaded.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no points were uploaded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl MsmEngine {
    /// Compiles the five kernels for the context's integer width (`u64`
    /// products where the context allows them, 16-bit partial products
    /// otherwise).
    pub fn new(ctx: Arc<GpuContext>) -> Self {
        Self::with_max_chunk(ctx, 1 << 26)
    }

    /// Like [`MsmEngine::new`], with at most `max_chunk_points` points per
    /// pass (rounded down to a power of two); tests use it to exercise the
    /// splitting of large inputs on small sizes.
    pub fn with_max_chunk(ctx: Arc<GpuContext>, max_chunk_points: usize) -> Self {
        let kernels = MsmPass::ALL
            .iter()
            .map(|&pass| Kernel::new(&ctx, pass.label(), &pass_source(pass, ctx.int64), "main"))
            .collect();
        let limit = ctx
            .limits
            .max_storage_buffer_binding_size
            .min(ctx.limits.max_buffer_size);
        let mut chunk_points = 1usize << (usize::BITS - max_chunk_points.max(1).leading_zeros() - 1);
        while chunk_points > 1 && MsmPlan::new(chunk_points).largest_binding() > limit {
            chunk_points /= 2;
        }
        tracing::debug!(chunk_points, int64 = ctx.int64, "compiled BN254 MSM kernels");
        Self {
            ctx,
            kernels,
            chunk_points,
        }
    }

    /// The device this engine runs on.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// Most points one pass handles; larger MSMs run in several passes.
    pub fn chunk_points(&self) -> usize {
        self.chunk_points
    }

    /// Uploads `bases` once for any number of MSMs over them (or over a
    /// prefix of them).
    pub fn upload_bases(&self, bases: &[G1Affine]) -> GpuBases {
        let chunks = bases
            .chunks(self.chunk_points)
            .map(|chunk| {
                self.ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("bn254-bases"),
                    contents: &bases_to_bytes(chunk),
                    usage: wgpu::BufferUsages::STORAGE,
                })
            })
            .collect();
        GpuBases {
            chunks,
            chunk_points: self.chunk_points,
            len: bases.len(),
        }
    }

    /// `sum_i scalars[i] * bases[i]` over the first `scalars.len()` bases.
    /// Returns exactly what halo2curves' MSM returns (as a group element).
    pub fn msm(&self, bases: &GpuBases, scalars: &[Fr]) -> Result<G1, GpuError> {
        if scalars.len() > bases.len {
            return Err(GpuError::InvalidInput(format!(
                "MSM of {} scalars over {} uploaded bases: need one base per scalar",
                scalars.len(),
                bases.len
            )));
        }
        if bases.chunk_points != self.chunk_points {
            return Err(GpuError::InvalidInput(
                "bases were uploaded by an engine with a different chunk size".into(),
            ));
        }
        let mut total = G1::identity();
        for (scalars, base_chunk) in scalars.chunks(self.chunk_points).zip(&bases.chunks) {
            total += self.msm_pass(base_chunk, scalars)?;
        }
        Ok(total)
    }

    /// One pass over at most `chunk_points` points.
    fn msm_pass(&self, bases: &wgpu::Buffer, scalars: &[Fr]) -> Result<G1, GpuError> {
        let ctx = &*self.ctx;
        let plan = MsmPlan::new(scalars.len());
        let words = |count: u64| -> wgpu::Buffer {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("bn254-msm-scratch"),
                size: 4 * count.max(1),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let total_buckets = u64::from(plan.total_buckets);
        let params = uniform_buffer(ctx, "bn254-msm-params", &[plan]);
        let scalar_buf = storage_buffer(
            ctx,
            "bn254-scalars",
            bytemuck::cast_slice::<u8, u32>(&scalars_to_bytes(scalars)),
        );
        let counts = words(total_buckets);
        let offsets = words(total_buckets);
        let cursors = words(total_buckets);
        let sorted = words(u64::from(plan.num_windows) * scalars.len() as u64);
        let buckets = words(total_buckets * XYZZ_WORDS as u64);
        let segment_points = 2 * u64::from(plan.num_windows) * u64::from(plan.segments);
        let segments = words(segment_points * XYZZ_WORDS as u64);

        let [decompose, scan, scatter, accumulate, reduce] = &self.kernels[..] else {
            unreachable!("MsmEngine::new compiles exactly five kernels");
        };
        let max_count = words(1);
        let n = scalars.len() as u64;
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        decompose.dispatch(
            &mut encoder,
            &decompose.bind(ctx, &[&params, &scalar_buf, &counts]),
            groups(n),
        );
        scan.dispatch(
            &mut encoder,
            &scan.bind(ctx, &[&params, &counts, &offsets, &max_count]),
            (plan.num_windows, 1, 1),
        );
        scatter.dispatch(
            &mut encoder,
            &scatter.bind(ctx, &[&params, &scalar_buf, &offsets, &cursors, &sorted]),
            groups(n),
        );
        ctx.queue.submit([encoder.finish()]);
        // The largest bucket sets the number of accumulation rounds.
        let largest = read_buffer::<u32>(ctx, &max_count, 1)?[0];
        let rounds = largest.div_ceil(ROUND_POINTS).max(1);
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        for round in 0..rounds {
            let round_buf = uniform_buffer(ctx, "bn254-msm-round", &[round, 0, 0, 0]);
            accumulate.dispatch(
                &mut encoder,
                &accumulate.bind(ctx, &[&params, bases, &offsets, &counts, &sorted, &buckets, &round_buf]),
                groups(total_buckets),
            );
        }
        reduce.dispatch(
            &mut encoder,
            &reduce.bind(ctx, &[&params, &buckets, &segments]),
            groups(segment_points / 2),
        );
        ctx.queue.submit([encoder.finish()]);
        let segment_words: Vec<u32> = read_buffer(ctx, &segments, segment_points as usize * XYZZ_WORDS)?;
        Ok(finish_on_cpu(&segment_words, &plan))
    }
}

/// Workgroup grid for `threads` invocations, two-dimensional past 65535
/// workgroups.
fn groups(threads: u64) -> (u32, u32, u32) {
    let needed = threads.div_ceil(u64::from(WORKGROUP)).max(1);
    let x = needed.min(u64::from(MAX_GROUPS_X));
    (x as u32, needed.div_ceil(x) as u32, 1)
}

/// Window sums from the segment sums, then Horner over the windows:
/// sum_w 2^(c w) window_w.
fn finish_on_cpu(segment_words: &[u32], plan: &MsmPlan) -> G1 {
    let per_window = 2 * plan.segments as usize * XYZZ_WORDS;
    let windows: Vec<G1> = segment_words
        .par_chunks(per_window)
        .map(|window| {
            let mut direct = G1::identity();
            let mut running = G1::identity();
            let mut weighted = G1::identity();
            // Segment t holds (weighted_t, plain_t); walk t from the top.
            for (t, pair) in window.chunks(2 * XYZZ_WORDS).enumerate().rev() {
                direct += xyzz_to_g1(&pair[..XYZZ_WORDS]);
                if t > 0 {
                    running += xyzz_to_g1(&pair[XYZZ_WORDS..]);
                    weighted += running;
                }
            }
            for _ in 0..plan.segment_len_log2 {
                weighted = weighted.double();
            }
            direct + weighted
        })
        .collect();
    windows.iter().rev().fold(G1::identity(), |acc, window| {
        let mut acc = acc;
        for _ in 0..plan.window_bits {
            acc = acc.double();
        }
        acc + window
    })
}
