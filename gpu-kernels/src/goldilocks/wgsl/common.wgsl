// Helpers shared by every Goldilocks kernel.

const WORKGROUP: u32 = 256u;

// Flattens a 2D dispatch (x may be capped by maxComputeWorkgroupsPerDimension)
// into one invocation index.
fn invocation_index(wg: vec3<u32>, nwg: vec3<u32>, local: u32) -> u32 {
    return (wg.y * nwg.x + wg.x) * WORKGROUP + local;
}

// Reverses the low `bits` bits of i.
fn bitrev(i: u32, bits: u32) -> u32 {
    if (bits == 0u) {
        return 0u;
    }
    return reverseBits(i) >> (32u - bits);
}
