//! A compute shader on the available adapter transforms a buffer; every
//! element is checked against the same function on the CPU.

use gpu_kernels::pipeline::{read_buffer, storage_buffer, Kernel};
use gpu_kernels::{GpuContext, GpuOptions};

const SHADER: &str = r#"
@group(0) @binding(0) var<storage, read_write> data: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if (i < arrayLength(&data)) {
        // A mix of multiply, xor and rotate, so a wrong index or a skipped
        // element cannot go unnoticed.
        let x = data[i] * 2654435761u ^ i;
        data[i] = (x << 7u) | (x >> 25u);
    }
}
"#;

fn cpu(i: u32, v: u32) -> u32 {
    (v.wrapping_mul(2654435761) ^ i).rotate_left(7)
}

#[test]
fn shader_transforms_every_element() {
    let ctx =
        GpuContext::new(GpuOptions::default()).expect("a wgpu adapter (install mesa-vulkan-drivers for lavapipe)");
    // Not a multiple of the workgroup size, so the bounds check matters.
    let n = 100_003u32;
    let input: Vec<u32> = (0..n)
        .map(|i| i.wrapping_mul(0x9E37_79B9).rotate_left(i % 32))
        .collect();
    let buffer = storage_buffer(&ctx, "data", &input);
    let kernel = Kernel::new(&ctx, "roundtrip", SHADER, "main");
    let bind = kernel.bind(&ctx, &[&buffer]);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    kernel.dispatch(&mut encoder, &bind, (n.div_ceil(64), 1, 1));
    ctx.queue.submit([encoder.finish()]);
    let output: Vec<u32> = read_buffer(&ctx, &buffer, n as usize).unwrap();
    for (i, (&got, &x)) in output.iter().zip(&input).enumerate() {
        assert_eq!(got, cpu(i as u32, x), "element {i}");
    }
}
