//! [`GoldilocksGpu`]: the compiled Goldilocks kernels for one device, with
//! cached constant tables and the buffer, dispatch and transfer plumbing the
//! NTT and Merkle code share.

use super::shaders::Shader;
use super::timings::Timings;
use crate::context::{GpuContext, GpuError};
use crate::pipeline::{uniform_buffer, Kernel};
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::poseidon::ALL_ROUND_CONSTANTS;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The field all kernels here work in.
pub type F = GoldilocksField;

/// Threads per workgroup of every kernel (WGSL `WORKGROUP`).
const WORKGROUP: u64 = 256;
/// Elements per workgroup-memory tile of the NTT (WGSL `TILE`).
pub(crate) const NTT_TILE: usize = 1024;

/// Which constant table a cache entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Table {
    /// w^j for j < n/2, w the 2^log-th root of unity plonky2 uses (inverted
    /// for inverse transforms).
    Twiddles { log: usize, inverse: bool },
    /// shift^i for i < 2^log, shift = plonky2's coset shift.
    ShiftPowers { log: usize },
}

/// Goldilocks NTT, LDE and Poseidon Merkle kernels compiled for one device.
pub struct GoldilocksGpu {
    ctx: Arc<GpuContext>,
    kernels: HashMap<Shader, Kernel>,
    round_constants: wgpu::Buffer,
    tables: Mutex<HashMap<Table, Arc<wgpu::Buffer>>>,
    binding_limit: usize,
}

impl GoldilocksGpu {
    /// Compiles every kernel for `ctx` (the u64 path where `ctx.int64`, the
    /// u32-only path otherwise) and uploads Poseidon's round constants.
    pub fn new(ctx: Arc<GpuContext>) -> Result<Self, GpuError> {
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let kernels = Shader::ALL
            .iter()
            .map(|&s| (s, Kernel::new(&ctx, s.label(), &s.source(ctx.int64), "main")))
            .collect();
        if let Some(err) = pollster::block_on(scope.pop()) {
            return Err(GpuError::InvalidInput(format!(
                "Goldilocks kernels failed to compile: {err}"
            )));
        }
        let constants: Vec<u64> = ALL_ROUND_CONSTANTS
            .iter()
            .map(|&c| F::from_noncanonical_u64(c).to_canonical_u64())
            .collect();
        let round_constants = new_buffer(&ctx, "poseidon_round_constants", constants.len());
        ctx.queue
            .write_buffer(&round_constants, 0, bytemuck::cast_slice(&constants));
        let mut gpu = Self {
            ctx,
            kernels,
            round_constants,
            tables: Mutex::new(HashMap::new()),
            binding_limit: 0,
        };
        gpu.binding_limit = gpu.device_binding_elements();
        Ok(gpu)
    }

    /// Lowers the per-binding size limit to `elements` (never above the
    /// device's own), so that inputs are split into smaller batches; tests
    /// use it to exercise splitting on small inputs.
    pub fn with_binding_limit(mut self, elements: usize) -> Self {
        self.binding_limit = self.binding_limit.min(elements.max(1));
        self
    }

    /// The device the kernels run on.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// The largest buffer, in field elements, that one kernel binding may hold.
    pub fn max_binding_elements(&self) -> usize {
        self.binding_limit
    }

    /// The device's own per-binding limit in field elements (ignoring
    /// [`Self::with_binding_limit`]), for buffers that cannot be split.
    pub(crate) fn device_binding_elements(&self) -> usize {
        let limits = &self.ctx.limits;
        (limits.max_storage_buffer_binding_size.min(limits.max_buffer_size) / 8) as usize
    }

    /// Poseidon's round constants on the device.
    pub(crate) fn round_constants(&self) -> &wgpu::Buffer {
        &self.round_constants
    }

    /// A storage buffer for `elements` field elements (at least one).
    pub(crate) fn buffer(&self, label: &str, elements: usize) -> wgpu::Buffer {
        new_buffer(&self.ctx, label, elements)
    }

    /// Copies `data` into the start of `buffer` and waits for the copy.
    pub(crate) fn upload(&self, buffer: &wgpu::Buffer, data: &[u64], timings: &mut Timings) -> Result<(), GpuError> {
        let start = Instant::now();
        self.ctx.queue.write_buffer(buffer, 0, bytemuck::cast_slice(data));
        self.ctx.queue.submit([]);
        self.wait()?;
        timings.upload += start.elapsed();
        Ok(())
    }

    /// Submits `encoder` and waits until the device is idle.
    pub(crate) fn run(&self, encoder: wgpu::CommandEncoder, timings: &mut Timings) -> Result<(), GpuError> {
        let start = Instant::now();
        self.ctx.queue.submit([encoder.finish()]);
        self.wait()?;
        timings.compute += start.elapsed();
        Ok(())
    }

    /// A fresh command encoder.
    pub(crate) fn encoder(&self) -> wgpu::CommandEncoder {
        self.ctx.device.create_command_encoder(&Default::default())
    }

    fn wait(&self) -> Result<(), GpuError> {
        self.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| GpuError::Readback(e.to_string()))
    }

    /// Copies the first `len` elements of `buffer` back to the host.
    pub(crate) fn download(
        &self,
        buffer: &wgpu::Buffer,
        len: usize,
        timings: &mut Timings,
    ) -> Result<Vec<u64>, GpuError> {
        let start = Instant::now();
        if len == 0 {
            return Ok(Vec::new());
        }
        let size = (len * 8) as u64;
        let staging = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("goldilocks_readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.encoder();
        encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
        self.ctx.queue.submit([encoder.finish()]);
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        rx.recv()
            .map_err(|e| GpuError::Readback(e.to_string()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let view = slice
            .get_mapped_range()
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let out = bytemuck::pod_collect_to_vec::<u8, u64>(&view);
        drop(view);
        staging.unmap();
        timings.download += start.elapsed();
        Ok(out)
    }

    /// Records `groups` workgroups of `shader`, binding `buffers` to bindings
    /// 0, 1, ... and a uniform holding `params` after them. Dispatches wider
    /// than the per-dimension limit spill into y.
    pub(crate) fn dispatch(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        shader: Shader,
        buffers: &[&wgpu::Buffer],
        params: [u32; 8],
        groups: u64,
    ) {
        let kernel = &self.kernels[&shader];
        let uniform = uniform_buffer(&self.ctx, shader.label(), &params);
        let mut all: Vec<&wgpu::Buffer> = buffers.to_vec();
        all.push(&uniform);
        let bind_group = kernel.bind(&self.ctx, &all);
        let max_x = u64::from(self.ctx.limits.max_compute_workgroups_per_dimension.max(1));
        let x = groups.clamp(1, max_x);
        let y = groups.div_ceil(x).max(1);
        kernel.dispatch(encoder, &bind_group, (x as u32, y as u32, 1));
    }

    /// Workgroups for one invocation per item.
    pub(crate) fn groups_for(items: usize) -> u64 {
        (items as u64).div_ceil(WORKGROUP)
    }

    /// Twiddle table for transforms of size 2^log (cached).
    pub(crate) fn twiddles(
        &self,
        log: usize,
        inverse: bool,
        timings: &mut Timings,
    ) -> Result<Arc<wgpu::Buffer>, GpuError> {
        self.table(Table::Twiddles { log, inverse }, timings)
    }

    /// Powers of plonky2's coset shift, 2^log of them (cached).
    pub(crate) fn shift_powers(&self, log: usize, timings: &mut Timings) -> Result<Arc<wgpu::Buffer>, GpuError> {
        self.table(Table::ShiftPowers { log }, timings)
    }

    fn table(&self, key: Table, timings: &mut Timings) -> Result<Arc<wgpu::Buffer>, GpuError> {
        if let Some(buffer) = self.lock_tables().get(&key) {
            return Ok(buffer.clone());
        }
        let start = Instant::now();
        let (base, len) = match key {
            Table::Twiddles { log, inverse } => {
                let root = F::primitive_root_of_unity(log);
                (if inverse { root.inverse() } else { root }, (1usize << log) / 2)
            }
            Table::ShiftPowers { log } => (F::coset_shift(), 1usize << log),
        };
        let values: Vec<u64> = base.powers().take(len).map(|x| x.to_canonical_u64()).collect();
        timings.host += start.elapsed();
        let buffer = Arc::new(self.buffer("goldilocks_table", values.len()));
        self.upload(&buffer, &values, timings)?;
        self.lock_tables().insert(key, buffer.clone());
        Ok(buffer)
    }

    fn lock_tables(&self) -> std::sync::MutexGuard<'_, HashMap<Table, Arc<wgpu::Buffer>>> {
        self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn new_buffer(ctx: &GpuContext, label: &str, elements: usize) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (elements.max(1) * 8) as u64,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// Canonical u64 words of field elements, as the kernels read them.
pub(crate) fn to_words(values: &[F]) -> Vec<u64> {
    values.iter().map(|x| x.to_canonical_u64()).collect()
}

/// Field elements from canonical words written by the kernels.
pub(crate) fn from_words(words: &[u64]) -> Vec<F> {
    words.iter().map(|&w| GoldilocksField(w)).collect()
}
