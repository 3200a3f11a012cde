//! Adapter discovery and device creation.
//!
//! [`probe_adapters`] lists every adapter wgpu can see; [`GpuContext::new`]
//! picks the best one (discrete > integrated > virtual > software), requests
//! `SHADER_INT64` where the adapter offers it, and keeps the device, queue and
//! limits that every kernel uses. With no adapter it returns
//! [`GpuError::NoAdapter`], which callers turn into a CPU fallback.

use thiserror::Error;

/// Errors from setting up or using the GPU.
#[derive(Debug, Error)]
pub enum GpuError {
    /// No wgpu adapter was found on this machine.
    #[error("no GPU adapter found (wgpu saw none on Vulkan, Metal or DX12); install a driver, or mesa-vulkan-drivers for the software device")]
    NoAdapter,
    /// The adapter refused to create a device.
    #[error("adapter {adapter} refused to create a device: {source}")]
    RequestDevice {
        /// Adapter name.
        adapter: String,
        /// wgpu's error.
        source: wgpu::RequestDeviceError,
    },
    /// Reading results back from the device failed.
    #[error("reading a buffer back from the device failed: {0}")]
    Readback(String),
    /// The caller asked for something the kernel cannot do.
    #[error("invalid kernel input: {0}")]
    InvalidInput(String),
}

/// What a caller needs to know about one adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterSummary {
    /// Adapter name as the driver reports it.
    pub name: String,
    /// Graphics API backend (Vulkan, Metal, ...).
    pub backend: String,
    /// Discrete, integrated, virtual, CPU (software) or other.
    pub device_type: String,
    /// Driver name and version.
    pub driver: String,
    /// Whether WGSL can use 64-bit integers on it.
    pub shader_int64: bool,
}

impl AdapterSummary {
    fn of(adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        Self {
            name: info.name,
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
            shader_int64: adapter.features().contains(wgpu::Features::SHADER_INT64),
        }
    }
}

fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::PRIMARY,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    })
}

/// Ranks adapter types: lower is preferred.
fn preference(device_type: wgpu::DeviceType) -> u8 {
    match device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

fn sorted_adapters() -> Vec<wgpu::Adapter> {
    let mut adapters = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::PRIMARY));
    adapters.sort_by_key(|a| preference(a.get_info().device_type));
    adapters
}

/// Lists every adapter wgpu can see, best first.
pub fn probe_adapters() -> Vec<AdapterSummary> {
    sorted_adapters().iter().map(AdapterSummary::of).collect()
}

/// How to open the device.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuOptions {
    /// Use the 32-bit-only kernels even where `SHADER_INT64` exists (for
    /// testing that path, and for adapters whose 64-bit support is slow).
    pub force_u32: bool,
}

/// An open device with its queue, the adapter it came from and its limits.
pub struct GpuContext {
    /// The logical device.
    pub device: wgpu::Device,
    /// Its submission queue.
    pub queue: wgpu::Queue,
    /// The adapter the device was opened on.
    pub adapter: AdapterSummary,
    /// Limits the device was created with (the adapter's own).
    pub limits: wgpu::Limits,
    /// Whether kernels may use `u64` (adapter has it and it was not disabled).
    pub int64: bool,
}

impl GpuContext {
    /// Opens the best adapter, requesting `SHADER_INT64` where available.
    pub fn new(options: GpuOptions) -> Result<Self, GpuError> {
        let adapter = sorted_adapters().into_iter().next().ok_or(GpuError::NoAdapter)?;
        let summary = AdapterSummary::of(&adapter);
        let int64 = summary.shader_int64 && !options.force_u32;
        let features = if summary.shader_int64 {
            wgpu::Features::SHADER_INT64
        } else {
            wgpu::Features::empty()
        };
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("zkr"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|source| GpuError::RequestDevice {
            adapter: summary.name.clone(),
            source,
        })?;
        tracing::debug!(adapter = %summary.name, int64, "opened GPU device");
        Ok(Self {
            device,
            queue,
            adapter: summary,
            limits,
            int64,
        })
    }
}
